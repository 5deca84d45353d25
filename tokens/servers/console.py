"""Console pages for Security → Authorization servers: the list, each server's tabs (Settings, Scopes, Claims,
Access Policies, Token Preview) and their forms.

Views are thin: forms (tokens/servers/forms.py) parse the fields, every write goes through
tokens/servers/services.py, whose validator (the API's) reports the errors the form shows beside its fields.
The org server is not a row: it is listed and its keys rotate, but it has no scopes, claims or policies to edit.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.console import confirm_then_act, staff_required
from core.console_paging import Sort, keyset_page
from core.systemlog.audit import Audit
from tokens.models import TokenFamily

from . import keys, services
from .forms import ClaimForm, PolicyForm, PreviewForm, RuleForm, ScopeForm, ServerForm
from .models import AuthorizationServer, Claim, Policy, Scope, Status
from .policies import org_lifetimes
from .preview import preview
from .registry import ORG, any_server, forget, org_server
from .scopes import OIDC_SCOPES
from .validation import ServerValidationError


@dataclass(frozen=True)
class ServerCard:
    """What the list and the tabs show of a server, the org server (not a row) included."""

    id: str
    name: str
    description: str
    audience: str
    issuer: str
    status: str
    is_org: bool
    row: AuthorizationServer | None = None

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def keys_url(self) -> str:
        return f"{self.issuer}/oauth2/v1/keys" if self.is_org else f"{self.issuer}/v1/keys"


def _org_card() -> ServerCard:
    org = org_server()
    return ServerCard(
        id=org.id,
        name=org.name,
        description="Rotor's built-in server for signing users in. Its token lifetimes are fixed.",
        audience=org.audience,
        issuer=org.issuer,
        status=Status.ACTIVE,
        is_org=True,
    )


def _card(row: AuthorizationServer) -> ServerCard:
    """A custom server as the console shows it: its row, and its issuer and audience as the endpoints use them."""
    runtime = any_server(row.id)
    return ServerCard(
        id=row.id,
        name=row.name,
        description=row.description,
        audience=runtime.audience,
        issuer=runtime.issuer,
        status=row.status,
        is_org=False,
        row=row,
    )


def _server(server_id: str) -> ServerCard:
    """The server of a URL, or the console's 404 page."""
    if server_id == ORG:
        return _org_card()
    return _card(get_object_or_404(AuthorizationServer, pk=server_id))


def _custom(server_id: str) -> AuthorizationServer:
    """A server whose scopes, claims and policies admins edit: the org server has none (404)."""
    return get_object_or_404(AuthorizationServer, pk=server_id)


def _tab(request, template: str, server: ServerCard, tab: str, *, status: int = 200, **ctx):
    return render(request, template, {"server": server, "tab": tab, **ctx}, status=status)


SERVER_SORTS = [
    Sort("created", "created", "Created"),
    Sort("name", "name", "Name"),
]


@staff_required
def server_list(request):
    page = keyset_page(request, AuthorizationServer.objects.all(), SERVER_SORTS)
    cards = [_card(row) for row in page]
    if page.is_first:
        cards.insert(0, _org_card())
    return render(request, "tokens/server_list.html", {"page": page, "cards": cards})


@staff_required
def server_settings(request, server_id):
    server = _server(server_id)
    return _tab(request, "tokens/server_settings.html", server, "settings", keys=keys.list_keys(server.id))


@staff_required
def server_scopes(request, server_id):
    server = _server(server_id)
    if server.is_org:
        rows = [{"name": name, "description": text, "system": True} for name, text in OIDC_SCOPES.items()]
    else:
        rows = list(Scope.objects.filter(server_id=server.id).order_by("-system", "name"))
    return _tab(request, "tokens/server_scopes.html", server, "scopes", scopes=rows)


@staff_required
def server_claims(request, server_id):
    server = _server(server_id)
    rows = [] if server.is_org else list(Claim.objects.filter(server_id=server.id).order_by("claim_type", "name"))
    return _tab(request, "tokens/server_claims.html", server, "claims", claims=rows)


def _client_names(policies) -> dict[str, str]:
    from clients.models import Application

    ids = {c for p in policies for c in p.clients_include}
    return dict(Application.objects.filter(client_id__in=ids).values_list("client_id", "name"))


@staff_required
def server_policies(request, server_id):
    server = _server(server_id)
    if server.is_org:
        return _tab(request, "tokens/server_policies.html", server, "policies", org=org_lifetimes())
    policies = list(
        Policy.objects.filter(server_id=server.id).order_by("priority", "created").prefetch_related("rules")
    )
    names = _client_names(policies)
    for policy in policies:
        policy.ordered_rules = sorted(policy.rules.all(), key=lambda r: (r.priority, r.created))
        policy.client_names = [names.get(c, c) for c in policy.clients_include if c != "ALL_CLIENTS"]
    return _tab(request, "tokens/server_policies.html", server, "policies", policies=policies)


def active_families(server_id: str) -> int:
    """How many token families a deactivation of this server revokes (shown on its confirmation)."""
    return TokenFamily.objects.filter(server=server_id, status=TokenFamily.Status.ACTIVE).count()


def _rotation_consequences(server_id: str) -> tuple[str, str]:
    """The confirmation's detail and warning: which key a rotation drops, and whether tokens it signed may still
    be live (keys.early_rotation, the rule `rotatekeys` warns with too)."""
    dropped, early = keys.dropped_key(server_id), keys.early_rotation(server_id)
    if early is not None:
        warning = (
            f"Key {early.kid} is dropped now. It stopped signing only {early.retired_minutes} min ago, so tokens it "
            f"signed within the last {early.lifetime_minutes} min (the longest token lifetime) are still live and "
            "stop verifying."
        )
        return "", warning
    if dropped is not None:
        minutes = int(keys.longest_token_lifetime(server_id).total_seconds() // 60)
        return (
            f"Key {dropped.kid} is dropped. It stopped signing more than {minutes} min ago (the longest token "
            "lifetime), so no token it signed is still valid.",
            "",
        )
    return "No key is dropped: this server has no EXPIRED key yet.", ""


@staff_required
def server_rotate(request, server_id):
    server = _server(server_id)
    back = reverse("tokens:server-settings", args=[server.id])

    def rotate():
        _before, after = keys.rotate_keys(server.id)
        active = next((k.kid for k in after if k.status == "ACTIVE"), "?")
        messages.success(request, f"Rotated the keys of {server.name}. Now signing with {active}.")
        return redirect(back)

    detail, warning = _rotation_consequences(server.id) if request.method != "POST" else ("", "")
    return confirm_then_act(
        request,
        rotate,
        title=f"Rotate the signing keys of {server.name}?",
        message="The NEXT key starts signing, the ACTIVE key becomes EXPIRED (still published, so the tokens it "
        "signed keep verifying), the old EXPIRED key is dropped and a new NEXT key is made.",
        detail=detail,
        warning=warning,
        confirm_label="Rotate keys now",
        cancel_url=back,
    )


def _saved(form, write):
    """Run `write(data)` (a service) if the form is valid; the validator's errors of a write that lost a race (a
    name taken meanwhile) go beside the fields too. The written object, or None."""
    if not form.is_valid():
        return None
    try:
        return write(form.to_data())
    except ServerValidationError as exc:
        form.show_errors(exc.errors)
        return None


def _refused(request, exc: ServerValidationError, back: str):
    """An action the validator refused (delete a system scope, an active server): its reason, on the page."""
    messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect(back)


# Servers ------------------------------------------------------------------------------------------------------


@staff_required
def server_create(request):
    form = ServerForm(request.POST or None)
    server = _saved(form, lambda data: services.create_server(data, audit=Audit.of(request)))
    if server is not None:
        messages.success(request, f"Added authorization server '{server.name}'.")
        return redirect("tokens:server-settings", server_id=server.id)
    ctx = {"form": form, "submit_label": "Save", "cancel_url": reverse("tokens:server-list")}
    return render(request, "tokens/server_create.html", ctx, status=400 if form.is_bound else 200)


@staff_required
def server_edit(request, server_id):
    server = _custom(server_id)
    form = ServerForm(request.POST or None, instance=server)
    if _saved(form, lambda data: services.update_server(server, data, audit=Audit.of(request))) is not None:
        messages.success(request, "Saved the settings.")
        return redirect("tokens:server-settings", server_id=server.id)
    back = reverse("tokens:server-settings", args=[server.id])
    ctx = {"form": form, "cancel_url": back, "keys": keys.list_keys(server.id), "status": 400 if form.is_bound else 200}
    return _tab(request, "tokens/server_settings.html", _card(server), "settings", **ctx)


@staff_required
@require_POST
def server_activate(request, server_id):
    server = _custom(server_id)
    services.activate_server(server, audit=Audit.of(request))
    messages.success(request, f"Activated '{server.name}'. Its endpoints answer again.")
    return redirect("tokens:server-settings", server_id=server.id)


@staff_required
def server_deactivate(request, server_id):
    server = _custom(server_id)
    back = reverse("tokens:server-settings", args=[server.id])

    def deactivate():
        services.deactivate_server(server, audit=Audit.of(request))
        messages.success(request, f"Deactivated '{server.name}' and revoked its tokens.")
        return redirect(back)

    families = active_families(server.id) if request.method != "POST" else 0
    return confirm_then_act(
        request,
        deactivate,
        title=f"Deactivate '{server.name}'?",
        message="Its endpoints answer 404 from now on, so no app can sign users in or get tokens through it.",
        warning=f"{families} active token famil{'y' if families == 1 else 'ies'} (every sign-in through this "
        f"server that holds a refresh token) {'is' if families == 1 else 'are'} revoked now: "
        "their refresh and access tokens stop working.",
        confirm_label="Deactivate server",
        cancel_url=back,
    )


@staff_required
def server_delete(request, server_id):
    server = _custom(server_id)
    back = reverse("tokens:server-settings", args=[server.id])
    if server.status == Status.ACTIVE:
        messages.error(request, "Deactivate the authorization server before deleting it.")
        return redirect(back)

    def delete():
        try:
            services.delete_server(server, audit=Audit.of(request))
        except ServerValidationError as exc:
            return _refused(request, exc, back)
        messages.success(request, f"Deleted authorization server '{server.name}'.")
        return redirect("tokens:server-list")

    return confirm_then_act(
        request,
        delete,
        title=f"Delete '{server.name}'?",
        message="The server, its scopes, claims, access policies and signing keys are removed for good.",
        confirm_label="Delete server",
        cancel_url=back,
    )


# Scopes, claims, access policies and rules --------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What tells the pages of a server's scopes, claims, access policies and rules apart, so that their views
    (add, edit, move, activate, deactivate, delete) are written once; tokens/urls.py gives each URL its kind.

    Texts with `{item}`, `{parent}` (the server, or a rule's policy) and `{priority}` are filled in as shown."""

    writes: services.Writer  # where they are (under) and their create, update, reorder, activate, …
    noun: str  # in titles and messages: "Deleted access policy 'Default'."
    button: str  # on a confirmation's button: "Delete policy"
    tab: str
    form: type
    id_arg: str  # the URL's keyword for one of them
    add_title: str
    added: str
    create_label: str
    delete_message: str
    deactivate_message: str = ""
    moved: str = ""
    anchor: str = ""  # the tab's card of one: "policy-card-" → "#policy-card-<id>"
    update_label: str = "Save"
    template: str = "tokens/server_form.html"

    @property
    def in_policy(self) -> bool:
        """A rule belongs to a policy, the others to the server."""
        return self.writes.parent == "policy"


SCOPES = Kind(
    writes=services.SCOPES,
    noun="scope",
    button="scope",
    tab="scopes",
    form=ScopeForm,
    id_arg="scope_id",
    add_title="Add Scope",
    added="Added scope '{item.name}'.",
    create_label="Create",
    delete_message="Apps asking for it get invalid_scope from now on. Tokens already issued with it keep it until "
    "they expire.",
)
CLAIMS = Kind(
    writes=services.CLAIMS,
    noun="claim",
    button="claim",
    tab="claims",
    form=ClaimForm,
    id_arg="claim_id",
    add_title="Add Claim",
    added="Added claim '{item.name}'.",
    create_label="Create",
    delete_message="Tokens issued from now on no longer carry it.",
)
POLICIES = Kind(
    writes=services.POLICIES,
    noun="access policy",
    button="policy",
    tab="policies",
    form=PolicyForm,
    id_arg="policy_id",
    add_title="Add Access Policy",
    added="Added access policy '{item.name}'. Add a rule to it: without one it matches no request.",
    create_label="Create Policy",
    delete_message="The policy and its rules are removed for good. Token families already issued keep their lifetimes.",
    deactivate_message="Sign-ins skip it from now on and go to the next policy that covers the client; a client no "
    "other policy covers gets no token. Token families already issued keep their lifetimes.",
    moved="Moved '{item.name}' to priority {priority}.",
    anchor="policy-card-",
)
RULES = Kind(
    writes=services.RULES,
    noun="rule",
    button="rule",
    tab="policies",
    form=RuleForm,
    id_arg="rule_id",
    add_title="Add rule to {parent.name}",
    added="Added rule '{item.name}' to '{parent.name}'.",
    create_label="Create rule",
    delete_message="The rule is removed for good. Token families already issued keep their lifetimes.",
    deactivate_message="Sign-ins skip it from now on and take the next rule that matches; when none does, they get "
    "no token. Token families already issued keep their lifetimes.",
    moved="Moved rule '{item.name}' to priority {priority} in '{parent.name}'.",
    anchor="rule-",
    update_label="Update rule",
    template="tokens/server_rule_form.html",
)


def _find(kind: Kind, server_id: str, ids: dict):
    """The server, the parent (the server, or a rule's policy) and the item of a URL (None on an add page); any
    of them not there (or not under the others) is the console's 404 page."""
    server = _custom(server_id)
    parent = get_object_or_404(Policy, server=server, pk=ids["policy_id"]) if kind.in_policy else server
    if kind.id_arg not in ids:
        return server, parent, None
    return server, parent, get_object_or_404(kind.writes.under(parent), pk=ids[kind.id_arg])


def _tab_url(kind: Kind, server_id: str, item=None) -> str:
    """The tab that lists them; at `item`'s card where the tab has one per item."""
    url = reverse(f"tokens:server-{kind.tab}", args=[server_id])
    return f"{url}#{kind.anchor}{item.id}" if item is not None and kind.anchor else url


def _form_page(request, kind: Kind, server, parent, form, *, title: str, submit_label: str):
    """An add or edit form on its tab; Cancel goes back to the tab, or for a rule to its policy's card."""
    back = _tab_url(POLICIES, server.id, parent) if kind.in_policy else _tab_url(kind, server.id)
    ctx = {"title": title, "form": form, "submit_label": submit_label, "cancel_url": back}
    return _tab(request, kind.template, _card(server), kind.tab, status=400 if form.is_bound else 200, **ctx)


@staff_required
def item_create(request, kind: Kind, server_id, **ids):
    server, parent, _ = _find(kind, server_id, ids)
    form = kind.form(request.POST or None, parent=parent)
    item = _saved(form, lambda data: kind.writes.create(parent, data, audit=Audit.of(request)))
    if item is not None:
        messages.success(request, kind.added.format(item=item, parent=parent))
        return redirect(_tab_url(kind, server.id, item))
    title = kind.add_title.format(parent=parent)
    return _form_page(request, kind, server, parent, form, title=title, submit_label=kind.create_label)


@staff_required
def item_edit(request, kind: Kind, server_id, **ids):
    server, parent, item = _find(kind, server_id, ids)
    form = kind.form(request.POST or None, parent=parent, instance=item)
    if _saved(form, lambda data: kind.writes.update(item, data, audit=Audit.of(request))) is not None:
        messages.success(request, f"Saved {kind.noun} '{item.name}'.")
        return redirect(_tab_url(kind, server.id, item))
    title = f"Edit {kind.noun} {item.name}"
    return _form_page(request, kind, server, parent, form, title=title, submit_label=kind.update_label)


def _moved_priority(siblings: list, item, direction: str) -> int | None:
    """The priority (1..n, as services.py numbers them) one place up or down from `item`; None at an end."""
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1 if direction == "down" else -1
    return target + 1 if 0 <= target < len(siblings) else None


@staff_required
@require_POST
def item_move(request, kind: Kind, server_id, **ids):
    """Policies and rules: one place up or down among the server's policies, or the policy's rules."""
    server, parent, item = _find(kind, server_id, ids)
    siblings = list(kind.writes.under(parent).order_by("priority", "created"))
    priority = _moved_priority(siblings, item, request.POST.get("direction", ""))
    if priority is not None:
        kind.writes.reorder(item, priority, audit=Audit.of(request))
        messages.success(request, kind.moved.format(item=item, parent=parent, priority=priority))
    return redirect(_tab_url(kind, server.id, item))


@staff_required
@require_POST
def item_activate(request, kind: Kind, server_id, **ids):
    server, _, item = _find(kind, server_id, ids)
    kind.writes.activate(item, audit=Audit.of(request))
    messages.success(request, f"Activated {kind.noun} '{item.name}'.")
    return redirect(_tab_url(kind, server.id, item))


@staff_required
def item_deactivate(request, kind: Kind, server_id, **ids):
    server, _, item = _find(kind, server_id, ids)
    back = _tab_url(kind, server.id, item)

    def deactivate():
        kind.writes.deactivate(item, audit=Audit.of(request))
        messages.success(request, f"Deactivated {kind.noun} '{item.name}'.")
        return redirect(back)

    return confirm_then_act(
        request,
        deactivate,
        title=f"Deactivate {kind.noun} '{item.name}'?",
        message=kind.deactivate_message,
        confirm_label=f"Deactivate {kind.button}",
        cancel_url=back,
    )


@staff_required
def item_delete(request, kind: Kind, server_id, **ids):
    server, _, item = _find(kind, server_id, ids)
    back = _tab_url(kind, server.id)

    def delete():
        try:
            kind.writes.delete(item, audit=Audit.of(request))
        except ServerValidationError as exc:
            return _refused(request, exc, back)
        messages.success(request, f"Deleted {kind.noun} '{item.name}'.")
        return redirect(back)

    return confirm_then_act(
        request,
        delete,
        title=f"Delete {kind.noun} '{item.name}'?",
        message=kind.delete_message,
        confirm_label=f"Delete {kind.button}",
        cancel_url=back,
    )


# Token Preview ------------------------------------------------------------------------------------------------


@staff_required
def server_preview(request, server_id):
    """What a sign-in would get, issuing nothing: a GET form, so the result is a page one can reload and share.
    It reads the server as it is now: an admin who just moved a rule expects the preview to follow."""
    server = _server(server_id)
    names = list(OIDC_SCOPES) if server.is_org else [s.name for s in server.row.scopes.order_by("-system", "name")]
    form = PreviewForm(request.GET or None, scope_names=names)
    result = None
    if form.is_valid():
        c = form.cleaned_data
        forget(server.id)  # this worker's cached copy may predate an edit another worker just saved
        result = preview(server.id, c["client"], c["user"], c["grant_type"], c["scopes"])
    status = 400 if form.is_bound and not form.is_valid() else 200
    return _tab(request, "tokens/server_preview.html", server, "preview", form=form, result=result, status=status)
