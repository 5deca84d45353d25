import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.services import create_user
from clients.services import create_app


class Command(BaseCommand):
    help = (
        "On an empty database, create an admin and a demo web app and print how to sign in. With the demo on "
        "(DEBUG or ROTOR_DEMO=1), also register the try-it demo app for this issuer unless it exists."
    )

    def handle(self, *args, **options):
        base = settings.ROTOR_ISSUER
        if User.objects.exists():
            created = self.demo_app()
            self.stdout.write(
                f"Rotor is starting at {base}/console/ (existing database; "
                f"{'registered the try-it demo app' if created else 'nothing created'})."
            )
            self.stdout.write(self.demo_line(base), ending="")
            return
        password = secrets.token_urlsafe(12)
        create_user(
            username="admin",
            email="admin@example.com",
            first_name="Rotor",
            last_name="Admin",
            password=password,
            is_staff=True,
        )
        User.objects.filter(username="admin").update(is_superuser=True)
        app, secret = create_app(
            {
                "label": "Demo web app",
                "application_type": "web",
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["http://localhost:8080/authorization-code/callback"],
                "post_logout_redirect_uris": ["http://localhost:8080/"],
            }
        )
        self.demo_app()
        self.stdout.write(self.style.SUCCESS("Rotor is set up."))
        self.stdout.write(f"""
  Console:        {base}/console/
  Admin:          admin / {password}
  Demo app:       client_id     {app.client_id}
                  client_secret {secret}
                  redirect URI  http://localhost:8080/authorization-code/callback
  Discovery:      {base}/.well-known/openid-configuration
                  {base}/oauth2/default/.well-known/openid-configuration
{self.demo_line(base)}
  These credentials are shown once. Serving at {base} …
""")

    def demo_app(self) -> bool:
        """Register the try-it demo app (demo/) when the demo is on; True if it was registered now."""
        if not settings.ROTOR_DEMO:
            return False
        from demo.registration import ensure_app

        return ensure_app()[1]

    def demo_line(self, base: str) -> str:
        if not settings.ROTOR_DEMO:
            return ""
        return f"  Try it:         {base}/demo/  (sign in as admin; refresh, replay, see reuse detection)\n"
