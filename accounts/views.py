from django.contrib.auth import views as auth_views

from core.systemlog.audit import Audit

from .forms import SignInForm


class ProtectedLoginView(auth_views.LoginView):
    """Every password form's view: the form gets who is asking (client IP, user agent) for its limits and events.

    Django's LoginView already wraps dispatch in sensitive_post_parameters(): no error report shows the password.
    """

    authentication_form = SignInForm

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"audit": Audit.of(self.request)}


class SignInView(ProtectedLoginView):
    """End-user sign-in: a plain form with `username`, `password` and Django's CSRF token."""

    template_name = "accounts/login.html"


class SignOutView(auth_views.LogoutView):
    template_name = "oauth/logged_out.html"
