"""Console pages for app integrations. Views parse a form and call clients/services.py, clients/credentials.py or
tokens/lifecycle/."""

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.console import (
    add_errors,
    confirm_then_act,
    confirm_then_change,
    error_text,
    keep_once,
    staff_required,
    take_once,
    token_families,
)
from core.console_paging import Sort, keyset_page
from core.systemlog.audit import Audit
from tokens import family_search
from tokens.lifecycle.revocation import revoke_families

from . import credentials, services
from .forms import TYPE_NOUNS, AppSearchForm, AppSettingsForm, AppTypeForm
from .models import Application, CredentialStatus
from .validation import AppValidationError


def _app(public_id) -> Application:
    return get_object_or_404(Application, public_id=public_id)


def _secret_key(app) -> str:
    return f"client-secret:{app.public_id}"


def _show_secret(request, app, secret):
    """After the POST that made `secret`: keep it for the General tab, which shows it once, and go there."""
    if secret:
        keep_once(request, _secret_key(app), secret)
    return redirect("clients:app-detail", public_id=app.public_id)


def _general(request, app, *, form=None, new_secret=None, status=200):
    """The General tab; with `form` its settings card is in edit mode, with `new_secret` it shows it once."""
    ctx = {
        "app": app,
        "form": form,
        "new_secret": new_secret,
        "tab": "general",
        "needs_trusted_origin": services.needs_trusted_origin(app),
        "redirect_origins": services.redirect_origins(app),
        "grant_options": AppSettingsForm(app_type=app.application_type, instance=app).grant_options(),
        "secrets": list(app.secrets.all()),
        "keys": list(app.json_web_keys.all()),
        "max_secrets": credentials.MAX_SECRETS,
    }
    response = render(request, "clients/app_general.html", ctx, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


APP_SORTS = [
    Sort("created", "created", "Created", descending=True, newest_first=True),
    Sort("label", "name", "Label"),
]


@staff_required
def app_list(request):
    form = AppSearchForm(request.GET)
    page = keyset_page(request, form.filter(Application.objects.all()), APP_SORTS)
    return render(request, "clients/app_list.html", {"form": form, "page": page})


@staff_required
def app_create_pick(request):
    """Step 1 of Create App Integration: the sign-in method and the app type."""
    form = AppTypeForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("clients:app-create", app_type=form.cleaned_data["application_type"])
    return render(request, "clients/app_create_pick.html", {"form": form})


@staff_required
def app_create(request, app_type):
    """Step 2: the settings this type needs. On save, the app's General tab, which shows the client secret once."""
    if app_type not in Application.AppType.values:
        raise Http404("Unknown app type")
    form = AppSettingsForm(request.POST or None, app_type=app_type)
    if request.method == "POST" and form.is_valid():
        try:
            app, secret = services.create_app(form.to_data(), audit=Audit.of(request))
        except AppValidationError as exc:  # a concurrent create took the client ID
            add_errors(form, exc.errors)
        else:
            messages.success(request, f"Created app integration '{app.name}'.")
            return _show_secret(request, app, secret)
    ctx = {
        "form": form,
        "app_type": app_type,
        "type_label": Application.AppType(app_type).label,
        "type_noun": TYPE_NOUNS[app_type],
    }
    return render(request, "clients/app_create.html", ctx, status=400 if form.is_bound else 200)


@staff_required
def app_detail(request, public_id):
    app = _app(public_id)
    return _general(request, app, new_secret=take_once(request, _secret_key(app)))


@staff_required
def app_edit(request, public_id):
    app = _app(public_id)
    form = AppSettingsForm(request.POST or None, app_type=app.application_type, instance=app)
    if request.method == "POST" and form.is_valid():
        app, secret = services.update_app(app, form.to_data(), audit=Audit.of(request))
        messages.success(request, "Saved the general settings.")
        return _show_secret(request, app, secret)
    return _general(request, app, form=form, status=400 if form.is_bound else 200)


@staff_required
@require_POST
def app_trust_origin(request, public_id):
    """The General tab's one-click offer: trust the origin of a sign-in redirect URI."""
    app = _app(public_id)
    origin = request.POST.get("origin", "")
    try:
        services.trust_origin(app, origin, audit=Audit.of(request))
    except AppValidationError as exc:
        messages.error(request, error_text(exc.errors))
    else:
        messages.success(request, f"Added {origin} to the trusted origins.")
    return redirect("clients:app-detail", public_id=app.public_id)


def _credential_change(request, app, change, success: str):
    """Run a clients/credentials.py change; its refusal becomes the General tab's error message."""
    try:
        result = change()
    except AppValidationError as exc:
        messages.error(request, error_text(exc.errors))
        return None
    messages.success(request, success)
    return result or True


def _back(app):
    return redirect("clients:app-detail", public_id=app.public_id)


@staff_required
def app_secret_create(request, public_id):
    """ "Generate new secret": a second secret beside the current one, shown once; the old one keeps working."""
    app = _app(public_id)
    if app.is_public:
        messages.error(request, "This app is a public client and has no secret.")
        return _back(app)

    def create():
        made = _credential_change(
            request,
            app,
            partial(credentials.create_secret, app, audit=Audit.of(request)),
            "Generated a new client secret. The other one keeps working until you deactivate it.",
        )
        return _show_secret(request, app, made[1] if made else None)

    return confirm_then_act(
        request,
        create,
        title="Generate a new client secret?",
        message=f"'{app.name}' gets a second secret; the current one keeps working. Once its clients use the new "
        "one, deactivate the old one under Client Credentials.",
        confirm_label="Generate new secret",
        cancel_url=reverse("clients:app-detail", args=[app.public_id]),
        danger=False,
    )


@staff_required
@require_POST
def app_key_add(request, public_id):
    """Client Credentials' "Add key": a pasted JWK or PEM public key."""
    app = _app(public_id)
    text = request.POST.get("public_key", "")
    change = partial(credentials.add_key_text, app, text[:20000], audit=Audit.of(request))
    key = _credential_change(request, app, change, "Added the public key.")
    if key:
        messages.success(request, f"Its kid is {key.kid}.")
    return _back(app)


def _credential_action(rows: str, change, done: str, **page):
    """A secret's or a key's activate, deactivate or delete view. `change(app, credential, audit=)` is the
    clients/credentials.py call; `done` and the confirmation `page` (none: a plain POST) are formatted with
    the credential as `c` and the app as `app`."""

    def view(request, public_id, **ids):
        app = _app(public_id)
        (credential_id,) = ids.values()
        credential = get_object_or_404(getattr(app, rows), public_id=credential_id)

        def act():
            run = partial(change, app, credential, audit=Audit.of(request))
            _credential_change(request, app, run, done.format(c=credential))
            return _back(app)

        if not page:
            return act()
        texts = {name: text.format(c=credential, app=app) for name, text in page.items()}
        cancel_url = reverse("clients:app-detail", args=[app.public_id])
        return confirm_then_act(request, act, cancel_url=cancel_url, **texts)

    return staff_required(view if page else require_POST(view))


_activate = partial(credentials.set_status, status=CredentialStatus.ACTIVE)
_deactivate = partial(credentials.set_status, status=CredentialStatus.INACTIVE)

app_secret_activate = _credential_action("secrets", _activate, "Activated the client secret.")
app_secret_deactivate = _credential_action(
    "secrets",
    _deactivate,
    "Deactivated the client secret. It no longer works.",
    title="Deactivate this client secret?",
    message="The secret {c.secret_hash:.8}… of '{app.name}' stops working at the next request, on every "
    "server. Clients still using it must have switched to the other secret.",
    confirm_label="Deactivate secret",
)
app_secret_delete = _credential_action(
    "secrets",
    credentials.delete,
    "Deleted the secret.",
    title="Delete this client secret?",
    message="The inactive secret {c.secret_hash:.8}… of '{app.name}' is removed for good.",
    confirm_label="Delete secret",
)
app_key_activate = _credential_action("json_web_keys", _activate, "Activated the key {c.kid}.")
app_key_deactivate = _credential_action(
    "json_web_keys",
    _deactivate,
    "Deactivated the key {c.kid}.",
    title="Deactivate this public key?",
    message="Assertions signed with the key {c.kid} of '{app.name}' are refused from the next request on.",
    confirm_label="Deactivate key",
)
app_key_delete = _credential_action(
    "json_web_keys",
    credentials.delete,
    "Deleted the key {c.kid}.",
    title="Delete this public key?",
    message="The inactive key {c.kid} of '{app.name}' is removed for good.",
    confirm_label="Delete key",
)


@staff_required
@require_POST
def app_activate(request, public_id):
    app = _app(public_id)
    services.activate_app(app, audit=Audit.of(request))
    messages.success(request, f"Activated '{app.name}'.")
    return redirect("clients:app-detail", public_id=app.public_id)


@staff_required
def app_deactivate(request, public_id):
    app = _app(public_id)

    def deactivate():
        services.deactivate_app(app, audit=Audit.of(request))
        return f"Deactivated '{app.name}' and revoked its tokens."

    return confirm_then_change(
        request,
        deactivate,
        then=reverse("clients:app-detail", args=[app.public_id]),
        title=f"Deactivate '{app.name}'?",
        message="Users can no longer sign in to it, and every refresh and access token it holds is revoked now.",
        confirm_label="Deactivate app",
        cancel_url=reverse("clients:app-detail", args=[app.public_id]),
    )


@staff_required
def app_delete(request, public_id):
    app = _app(public_id)

    def delete():
        services.delete_app(app, audit=Audit.of(request))
        return f"Deleted '{app.name}'."

    return confirm_then_change(
        request,
        delete,
        refusal="Deactivate the app before deleting it." if app.is_active else "",
        then=reverse("clients:app-list"),
        title=f"Delete '{app.name}'?",
        message="The app integration, its credentials and its token families are removed for good.",
        confirm_label="Delete app",
        cancel_url=reverse("clients:app-detail", args=[app.public_id]),
    )


@staff_required
def app_tokens(request, public_id):
    app = _app(public_id)
    form, page = family_search.family_page(request, client=app)
    return render(request, "clients/app_tokens.html", {"app": app, "form": form, "page": page, "tab": "tokens"})


@staff_required
def app_tokens_revoke_all(request, public_id):
    app = _app(public_id)

    def revoke_all():
        count = revoke_families(client=app, reason="revoked_by_admin", audit=Audit.of(request))
        return f"Revoked {token_families(count)} of '{app.name}'."

    return confirm_then_change(
        request,
        revoke_all,
        then=reverse("clients:app-tokens", args=[app.public_id]),
        title=f"Revoke every token of '{app.name}'?",
        message="Every user signed in to this app will have to sign in again: all its refresh and access tokens "
        "stop working now.",
        confirm_label="Revoke all tokens",
        cancel_url=reverse("clients:app-tokens", args=[app.public_id]),
    )
