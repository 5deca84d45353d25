"""`manage.py rotatekeys`: turn the signing-key cycle once, from cron or by hand."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tokens.servers import keys
from tokens.servers.registry import server_ids


class Command(BaseCommand):
    help = (
        "Rotate the signing keys: NEXT starts signing, ACTIVE becomes EXPIRED (still published, so what it "
        "signed keeps verifying), the EXPIRED key is unpublished and a fresh NEXT is published. Workers "
        "pick up the new key within ROTOR_KEY_CACHE_SECONDS, without a restart. Prints key ids, never key material."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--server", default="all", help="Whose keys: org, default, a server's id (aus…), or all (the default)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing.")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask.")

    def handle(self, *args, server, dry_run, interactive, verbosity, **options):
        known = server_ids()
        if server != "all" and server not in known:
            raise CommandError(f"No authorization server '{server}'. Known: {', '.join(known)}, or all.")
        servers = known if server == "all" else [server]
        if dry_run or not interactive:
            for line in (w for server_id in servers for w in self.warnings(server_id)):
                self.stderr.write(line)
        if dry_run:
            for server_id in servers:
                self.table(f"{server_id}: now", keys.list_keys(server_id))
                self.table(f"{server_id}: after a rotation (dry run, nothing changed)", keys.rotation_plan(server_id))
            return
        if interactive:
            self.confirm(servers)
        with transaction.atomic():  # --server all: both servers turn, or neither
            results = [(server_id, *keys.rotate_keys(server_id)) for server_id in servers]
        for server_id, before, after in results:
            if verbosity >= 1:
                self.table(f"{server_id}: before", before)
                self.table(f"{server_id}: after", after)
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rotated {', '.join(servers)}. Every worker signs with the new key within "
                    f"{settings.ROTOR_KEY_CACHE_SECONDS} s."
                )
            )

    def confirm(self, servers: list[str]) -> None:
        lines = [f"This rotates the signing keys of: {', '.join(servers)}."]
        lines += [w for server_id in servers for w in self.warnings(server_id)]
        lines.append("Type 'yes' to continue, or 'no' to cancel: ")
        if input("\n".join(lines)).strip().lower() != "yes":
            raise CommandError("Key rotation cancelled; nothing changed.")

    def warnings(self, server_id: str) -> list[str]:
        """Unpublishing the EXPIRED key early breaks tokens it signed that are still live (keys.early_rotation)."""
        early = keys.early_rotation(server_id)
        if early is None:
            return []
        return [
            f"Warning: {server_id} last rotated {early.retired_minutes} min ago. Tokens signed before that rotation "
            f"(less than {early.lifetime_minutes} min old) stop verifying now: their key {early.kid} is unpublished."
        ]

    def table(self, title: str, rows: list[keys.KeyInfo]) -> None:
        self.stdout.write(title)
        self.stdout.write(f"  {'kid':<45} {'status':<8} created")
        for key in rows:
            created = key.created.strftime("%Y-%m-%d %H:%M:%S UTC") if key.created else "-"
            self.stdout.write(f"  {key.kid:<45} {key.status:<8} {created}")
