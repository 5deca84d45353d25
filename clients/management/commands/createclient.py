import json

from django.core.management.base import BaseCommand, CommandError

from clients.serializers import AppSerializer
from clients.services import create_app
from clients.validation import AppValidationError


class Command(BaseCommand):
    help = (
        "Create an app integration through the same rules as the console and API, and print it as "
        "/api/v1/apps JSON (client_secret included, shown only this once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--label", required=True)
        parser.add_argument(
            "--type", required=True, dest="application_type", choices=["web", "browser", "native", "service"]
        )
        parser.add_argument("--grant-type", action="append", dest="grant_types", default=None)
        parser.add_argument("--redirect-uri", action="append", dest="redirect_uris", default=None)
        parser.add_argument(
            "--post-logout-redirect-uri", action="append", dest="post_logout_redirect_uris", default=None
        )
        parser.add_argument("--origin", action="append", dest="trusted_origins", default=None)
        parser.add_argument("--auth-method", dest="token_endpoint_auth_method")
        parser.add_argument("--rotation", dest="rotation_type", choices=["ROTATE", "STATIC"])
        parser.add_argument("--leeway", type=int)
        parser.add_argument("--consent", dest="consent_method", choices=["TRUSTED", "REQUIRED"])
        parser.add_argument("--client-id")
        parser.add_argument("--client-secret")
        parser.add_argument(
            "--dpop",
            action="store_true",
            dest="dpop_bound_access_tokens",
            default=None,
            help="Require Demonstrating Proof of Possession (DPoP) header in token requests.",
        )
        parser.add_argument("--jwks-uri", help="With --auth-method private_key_jwt: where the app's public keys are.")

    def handle(self, *args, **options):
        fields = (
            "application_type",
            "grant_types",
            "redirect_uris",
            "post_logout_redirect_uris",
            "trusted_origins",
            "token_endpoint_auth_method",
            "rotation_type",
            "leeway",
            "consent_method",
            "client_id",
            "client_secret",
            "dpop_bound_access_tokens",
            "jwks_uri",
        )
        data = {"label": options["label"]} | {f: options[f] for f in fields if options.get(f) is not None}
        try:
            app, secret = create_app(data)
        except AppValidationError as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())) from None
        self.stdout.write(json.dumps(AppSerializer(app, context={"client_secret": secret}).data, indent=2))
