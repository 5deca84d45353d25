from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import create_api_token


class Command(BaseCommand):
    help = (
        "Create a management-API token (Authorization: SSWS <token>) for an admin user. "
        "Prints only the token, once; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Username of the admin who owns the token.")
        parser.add_argument("--name", required=True, help="A label to tell tokens apart.")

    def handle(self, *args, user, name, **options):
        owner = User.objects.filter(username__iexact=user).first()
        if owner is None:
            raise CommandError(f"User '{user}' does not exist.")
        if not owner.is_active:
            raise CommandError(f"User '{user}' is deactivated.")
        if not (owner.is_staff or owner.is_superuser):
            raise CommandError(f"User '{user}' is not an admin; the API would refuse the token.")
        _, plain = create_api_token(owner, name)
        self.stdout.write(plain)
