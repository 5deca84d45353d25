from django.contrib.auth import views as auth_views


class SignInView(auth_views.LoginView):
    """End-user sign-in: a plain form with `username`, `password` and Django's CSRF token.

    Django's LoginView already wraps dispatch in sensitive_post_parameters(): no error report shows the password.
    """

    template_name = "accounts/login.html"


class SignOutView(auth_views.LogoutView):
    template_name = "oauth/logged_out.html"
