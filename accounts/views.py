from django.contrib.auth import views as auth_views


class SignInView(auth_views.LoginView):
    """End-user sign-in: a plain form with `username`, `password` and Django's CSRF token."""

    template_name = "accounts/login.html"


class SignOutView(auth_views.LogoutView):
    template_name = "oauth/logged_out.html"
