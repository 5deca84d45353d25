"""Console pages for admins: sign-in, users and API tokens. Every change goes through accounts/services.py."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from clients import assignments
from core.console import (
    confirm_then_change,
    form_page,
    keep_once,
    staff_required,
    take_once,
    token_families,
)
from core.console_paging import Sort, keyset_page
from core.systemlog.audit import Audit
from tokens import reports

from . import services, signin
from .forms import (
    ApiTokenForm,
    ConsoleAuthenticationForm,
    TemporaryPasswordForm,
    UserCreateForm,
    UserProfileForm,
    UserSearchForm,
)
from .models import ApiToken, Group, User
from .views import ProtectedLoginView


class ConsoleLoginView(ProtectedLoginView):
    """Admin sign-in, with the end users' sign-in protection."""

    template_name = "accounts/console_login.html"
    authentication_form = ConsoleAuthenticationForm
    next_page = reverse_lazy("tokens:dashboard")
    console = True

    def dispatch(self, request, *args, **kwargs):
        """An admin already signed in goes on to the console (or `next`) instead of seeing this form again.
        Anyone else signed in, an end user, still gets the form: sending them on would only end in a 403."""
        self.redirect_authenticated_user = request.user.is_active and request.user.is_staff
        return super().dispatch(request, *args, **kwargs)


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("accounts:console-login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


USER_SORTS = [
    Sort("username", "username", "Username"),
    Sort("joined", "date_joined", "Joined", descending=True, newest_first=True),
]


@staff_required
def user_list(request):
    form = UserSearchForm(request.GET)
    page = keyset_page(request, form.filter(User.objects.all()), USER_SORTS)
    return render(request, "accounts/user_list.html", {"form": form, "page": page})


@sensitive_post_parameters("password")  # outermost: the request is marked before anything else can fail
@staff_required
def user_create(request):
    def create(data):
        user = services.create_user(**data, audit=Audit.of(request))
        messages.success(request, f"Created user {user.username}.")
        return redirect("accounts:user-detail", uid=user.uid)

    return form_page(
        request,
        UserCreateForm(request.POST or None),
        create,
        refusal=services.UserValidationError,
        template="accounts/user_create.html",
        context={},
    )


@staff_required
def user_detail(request, uid):
    user = get_object_or_404(User, uid=uid)
    ctx = {
        "person": user,
        "families": reports.family_rows(user=user),
        "apps": reports.apps_of_user(user),
        "groups": Group.of_user(user).order_by("name"),
        "assigned_apps": assignments.apps_of_user(user).order_by("name"),
        "locked_until": signin.locked_until(user),
        "active_families": services.active_family_count(user),
    }
    return render(request, "accounts/user_detail.html", ctx)


@staff_required
def user_edit(request, uid):
    user = get_object_or_404(User, uid=uid)
    initial = {name: getattr(user, name) for name in services.PROFILE_FIELDS}

    def save(data):
        changed = services.update_profile(user, **data, audit=Audit.of(request))
        messages.success(request, f"Saved the profile of {user.username}." if changed else "Nothing changed.")
        return redirect("accounts:user-detail", uid=user.uid)

    return form_page(
        request,
        UserProfileForm(request.POST or None, initial=initial),
        save,
        refusal=services.UserValidationError,
        template="accounts/user_edit.html",
        context={"person": user},
    )


@sensitive_post_parameters("password")
@staff_required
def user_reset_password(request, uid):
    user = get_object_or_404(User, uid=uid, is_active=True)

    def save(data):
        services.set_temporary_password(user, data["password"], audit=Audit.of(request))
        messages.success(
            request, f"Set a temporary password for {user.username}; they choose a new one at their next sign-in."
        )
        return redirect("accounts:user-detail", uid=user.uid)

    return form_page(
        request,
        TemporaryPasswordForm(request.POST or None),
        save,
        refusal=services.UserValidationError,
        template="accounts/user_reset_password.html",
        context={"person": user},
    )


@staff_required
def user_sign_out(request, uid):
    user = get_object_or_404(User, uid=uid)

    def sign_out():
        ended, revoked = services.sign_out_everywhere(user, audit=Audit.of(request))
        return (
            f"Signed {user.username} out everywhere: ended {ended} session{'s' if ended != 1 else ''} "
            f"and revoked {token_families(revoked)}."
        )

    return confirm_then_change(
        request,
        sign_out,
        then=reverse("accounts:user-detail", args=[user.uid]),
        title=f"Sign {user.username} out everywhere?",
        message="Every session they have (this console and app sign-ins) ends now, and every refresh token and "
        "access token they hold is revoked. They can sign in again with their password.",
        detail="If you are signing yourself out, this session ends too.",
        confirm_label="Sign out everywhere",
        cancel_url=reverse("accounts:user-detail", args=[user.uid]),
    )


@staff_required
def user_revoke_tokens(request, uid):
    user = get_object_or_404(User, uid=uid)
    count = services.active_family_count(user)

    def revoke():
        revoked = services.revoke_all_tokens(user, audit=Audit.of(request))
        return f"Revoked {token_families(revoked)} of {user.username}."

    families = token_families(count)
    return confirm_then_change(
        request,
        revoke,
        then=reverse("accounts:user-detail", args=[user.uid]),
        title=f"Revoke all tokens of {user.username}?",
        message=f"This revokes {families}: every refresh token and access token they hold stops working now, "
        "and they have to sign in to their apps again.",
        detail="Their sign-in sessions stay; use Sign out everywhere to end those too.",
        confirm_label=f"Revoke {families}",
        cancel_url=reverse("accounts:user-detail", args=[user.uid]),
    )


@staff_required
def user_unlock(request, uid):
    user = get_object_or_404(User, uid=uid)
    if signin.locked_until(user) is None:
        messages.info(request, f"{user.username} is not locked out.")
        return redirect("accounts:user-detail", uid=user.uid)

    def unlock():
        signin.unlock(user, audit=Audit.of(request))
        return f"Unlocked {user.username}: they can sign in again now."

    return confirm_then_change(
        request,
        unlock,
        then=reverse("accounts:user-detail", args=[user.uid]),
        title=f"Unlock {user.username}?",
        message="Their failed sign-ins are forgotten and they can sign in again now, before the lock ends by itself.",
        detail="If someone is guessing their password, the account locks again after as many failures.",
        confirm_label="Unlock user",
        cancel_url=reverse("accounts:user-detail", args=[user.uid]),
        danger=False,
    )


@staff_required
def user_deactivate(request, uid):
    user = get_object_or_404(User, uid=uid, is_active=True)

    def deactivate():
        services.deactivate_user(user, audit=Audit.of(request))
        return f"Deactivated {user.username} and revoked their tokens."

    return confirm_then_change(
        request,
        deactivate,
        refusal="You cannot deactivate your own account." if user == request.user else "",
        then=reverse("accounts:user-detail", args=[user.uid]),
        title=f"Deactivate {user.username}?",
        message="They will not be able to sign in, and every refresh token they hold is revoked now.",
        confirm_label="Deactivate user",
        cancel_url=reverse("accounts:user-detail", args=[user.uid]),
    )


@staff_required
@require_POST
def user_activate(request, uid):
    user = get_object_or_404(User, uid=uid, is_active=False)
    services.activate_user(user, audit=Audit.of(request))
    messages.success(request, f"Activated {user.username}.")
    return redirect("accounts:user-detail", uid=user.uid)


@staff_required
def user_delete(request, uid):
    user = get_object_or_404(User, uid=uid)

    def delete():
        services.delete_user(user, audit=Audit.of(request))
        return f"Deleted user {user.username}."

    return confirm_then_change(
        request,
        delete,
        refusal="Deactivate the user before deleting them." if user.is_active else "",
        then=reverse("accounts:user-list"),
        title=f"Delete {user.username}?",
        message="The user and their token families are removed for good. This cannot be undone.",
        confirm_label="Delete user",
        cancel_url=reverse("accounts:user-detail", args=[user.uid]),
    )


@staff_required
def api_token_list(request):
    """List tokens; a valid POST creates one and redirects here, where its plaintext is shown once."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, plaintext = services.create_api_token(request.user, form.cleaned_data["name"], audit=Audit.of(request))
        keep_once(request, "api-token", {"name": token.name, "plaintext": plaintext})
        return redirect("accounts:api-token-list")
    created = take_once(request, "api-token")
    tokens = ApiToken.objects.select_related("user").order_by("-created")
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "created": created},
        status=400 if form.is_bound else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk)

    def revoke():
        services.revoke_api_token(token, audit=Audit.of(request))
        return f"Revoked API token '{token.name}'."

    return confirm_then_change(
        request,
        revoke,
        then=reverse("accounts:api-token-list"),
        title=f"Revoke API token '{token.name}'?",
        message="Anything still using this token will get 401 from the management API.",
        confirm_label="Revoke token",
        cancel_url=reverse("accounts:api-token-list"),
    )
