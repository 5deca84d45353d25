"""Console pages for app integrations. Views parse a form and call clients/services.py or tokens/lifecycle/."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.console import confirm_then_act, keep_once, staff_required, take_once
from core.console_paging import Sort, keyset_page
from core.systemlog.audit import Audit
from tokens import family_search
from tokens.lifecycle.revocation import revoke_families

from . import services
from .forms import TYPE_NOUNS, AppSearchForm, AppSettingsForm, AppTypeForm
from .models import Application
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
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
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
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.success(request, f"Added {origin} to the trusted origins.")
    return redirect("clients:app-detail", public_id=app.public_id)


@staff_required
def app_secret_rotate(request, public_id):
    app = _app(public_id)
    if app.is_public:
        messages.error(request, "This app is a public client and has no secret.")
        return redirect("clients:app-detail", public_id=app.public_id)

    def rotate():
        secret = services.rotate_secret(app, audit=Audit.of(request))
        messages.success(request, "Generated a new client secret. The old one no longer works.")
        return _show_secret(request, app, secret)

    return confirm_then_act(
        request,
        rotate,
        title="Generate a new client secret?",
        message=f"The current secret of '{app.name}' stops working at once. Clients using it must be updated.",
        confirm_label="Generate new secret",
        cancel_url=reverse("clients:app-detail", args=[app.public_id]),
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
        messages.success(request, f"Deactivated '{app.name}' and revoked its tokens.")
        return redirect("clients:app-detail", public_id=app.public_id)

    return confirm_then_act(
        request,
        deactivate,
        title=f"Deactivate '{app.name}'?",
        message="Users can no longer sign in to it, and every refresh and access token it holds is revoked now.",
        confirm_label="Deactivate app",
        cancel_url=reverse("clients:app-detail", args=[app.public_id]),
    )


@staff_required
def app_delete(request, public_id):
    app = _app(public_id)
    if app.is_active:
        messages.error(request, "Deactivate the app before deleting it.")
        return redirect("clients:app-detail", public_id=app.public_id)

    def delete():
        services.delete_app(app, audit=Audit.of(request))
        messages.success(request, f"Deleted '{app.name}'.")
        return redirect("clients:app-list")

    return confirm_then_act(
        request,
        delete,
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
        messages.success(request, f"Revoked {count} token famil{'y' if count == 1 else 'ies'} of '{app.name}'.")
        return redirect("clients:app-tokens", public_id=app.public_id)

    return confirm_then_act(
        request,
        revoke_all,
        title=f"Revoke every token of '{app.name}'?",
        message="Every user signed in to this app will have to sign in again: all its refresh and access tokens "
        "stop working now.",
        confirm_label="Revoke all tokens",
        cancel_url=reverse("clients:app-tokens", args=[app.public_id]),
    )
