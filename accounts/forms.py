from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError

from core.systemlog.audit import SYSTEM, Audit

from . import signin
from .models import User


class SignInForm(AuthenticationForm):
    """Django's sign-in form behind Rotor's sign-in protection (accounts/signin.py): the failure limits are
    checked before the password is hashed, and every outcome goes to the system log."""

    def __init__(self, request=None, *args, audit=None, **kwargs):
        """`audit` comes from the view (ProtectedLoginView); without it, from the request, so the IP limit
        never falls back to one counter shared by everybody."""
        super().__init__(request, *args, **kwargs)
        self.audit = audit or (Audit.of(request) if request is not None else SYSTEM)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        where = {"audit": self.audit, "request_uri": self.request.path if self.request is not None else ""}
        try:
            user = signin.check_password(username, password, **where)
        except signin.SignInLocked as exc:
            raise ValidationError(exc.message, code="locked") from None
        if user is None:
            raise self.get_invalid_login_error()
        try:
            self.confirm_login_allowed(user)
        except ValidationError as exc:
            signin.refused(user, (exc.code or "not_allowed").upper(), **where)
            raise
        signin.started(user, **where)
        self.user_cache = user
        return self.cleaned_data


class ConsoleAuthenticationForm(SignInForm):
    """The admin sign-in: the protected form, plus a clear refusal for accounts that are not staff."""

    error_messages = AuthenticationForm.error_messages | {
        "not_staff": "This account cannot sign in to the console. Ask an administrator for access.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise ValidationError(self.error_messages["not_staff"], code="not_staff")


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=150)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), ("ACTIVE", "Active"), ("DEPROVISIONED", "Deactivated")],
    )

    def filter(self, qs):
        if not self.is_valid():
            return qs
        q = self.cleaned_data["q"].strip()
        if q:
            # UPPER(column::text) LIKE UPPER('%q%') on each column: on PostgreSQL the trigram indexes of
            # accounts/migrations/0003 serve exactly these expressions (three characters or more).
            qs = qs.filter(User.matching(q, lookup="icontains"))
        if self.cleaned_data["status"]:
            qs = qs.filter(is_active=self.cleaned_data["status"] == "ACTIVE")
        return qs


class UserCreateForm(forms.Form):
    """Fields for accounts.services.create_user, which does the validation the API shares."""

    username = forms.CharField(label="Username", max_length=150, help_text="What the user types to sign in.")
    email = forms.EmailField(label="Email", required=False)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(render_value=False), strip=False, max_length=128
    )
    is_staff = forms.BooleanField(label="Administrator (may sign in to this console)", required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, help_text="Say what will use it, e.g. 'CI deploys'.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the token a name.")
        return name


class UserProfileForm(forms.Form):
    """Fields for accounts.services.update_profile."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False)


class TemporaryPasswordForm(forms.Form):
    password = forms.CharField(
        label="Temporary password",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        max_length=128,
        help_text="Give it to the user another way. At their next sign-in they must choose a new password.",
    )


class NewPasswordForm(PasswordChangeForm):
    """Django's password change, for the step after signing in with a temporary password."""

    error_messages = PasswordChangeForm.error_messages | {
        "same_password": "Choose a password other than the temporary one.",
    }

    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise ValidationError(self.error_messages["same_password"], code="same_password")
        return password


class GroupForm(forms.Form):
    """Fields for accounts.groups.create_group/update_group, which validate (shared with the API)."""

    name = forms.CharField(label="Name", max_length=255)
    description = forms.CharField(label="Description", required=False, max_length=1024)


class GroupSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=255)

    def filter(self, qs):
        q = self.cleaned_data["q"].strip() if self.is_valid() else ""
        return qs.filter(name__icontains=q) if q else qs
