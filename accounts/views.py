import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from core.systemlog.audit import Audit

from . import services
from .forms import NewPasswordForm, SignInForm
from .models import User

# The session of a sign-in that still has to replace a temporary password: who, where to go next, and since when.
PENDING = "rotor.password_change"
PENDING_SECONDS = 600


class ProtectedLoginView(auth_views.LoginView):
    """Every password form's view: the form gets who is asking (client IP, user agent) for its limits and events.

    Django's LoginView already wraps dispatch in sensitive_post_parameters(): no error report shows the password.
    A user with a temporary password is not signed in yet: they go to the change-password step first.
    """

    authentication_form = SignInForm
    console = False

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"audit": Audit.of(self.request)}

    def form_valid(self, form):
        user = form.get_user()
        if not user.must_change_password:
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "next": self.get_success_url(),
            "since": int(time.time()),
            "console": self.console,
        }
        return redirect("accounts:password-change-required")


class SignInView(ProtectedLoginView):
    """End-user sign-in: a plain form with `username`, `password` and Django's CSRF token."""

    template_name = "accounts/login.html"


class SignOutView(auth_views.LogoutView):
    template_name = "oauth/logged_out.html"


@sensitive_post_parameters()
@never_cache
def password_change_required(request):
    """The step between a sign-in with a temporary password and its session: Django's PasswordChangeForm.
    Not cached: the page names the user."""
    pending = request.session.get(PENDING) or {}
    user = None
    if pending and time.time() - pending.get("since", 0) < PENDING_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True, must_change_password=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("accounts:console-login" if pending.get("console") else "accounts:login")
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.finish_password_change(user, form.cleaned_data["new_password1"], audit=Audit.of(request))
        del request.session[PENDING]
        auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect(pending["next"])
    base = "base.html" if pending.get("console") else "oauth/base.html"
    ctx = {"form": form, "base": base, "person": user, "action": reverse("accounts:password-change-required")}
    return render(
        request, "accounts/password_change_required.html", ctx, status=400 if request.method == "POST" else 200
    )
