"""The one seam between the lifecycle and its two database paths, chosen in `database()`.

Both offer the same operations with the same effects; only their cost differs:

- `OrmPath`, the reference: Django's ORM, each write operation in one transaction. It runs on
  SQLite, and on PostgreSQL with ROTOR_FAST_SQL=0.
- `PostgresPath`: tokens/lifecycle/postgres.py, one prepared statement per operation, about
  2 ms less CPU per refresh than the ORM's query building (bench/README.md).

The rare branches (grace, replay, revocation) are ORM code in the lifecycle itself whatever the
path, since they run seldom and need several reads inside one transaction.
tests/tokens/test_database_paths.py checks that both paths write the same rows.
"""

from django.conf import settings
from django.db import connection, transaction

from clients.models import Application
from core.systemlog import recording
from tokens.models import RefreshToken

from . import postgres


class OrmPath:
    """Django's ORM: the reference, and the path on SQLite."""

    confirms_cached_clients = False  # no confirming insert here, so tokens/oauth/client_cache.py stays empty

    def find_token(self, token_hash: str) -> RefreshToken | None:
        """The token row with `.family`, `.family.user` and `.family.client` loaded, or None."""
        return (
            RefreshToken.objects.select_related("family__user", "family__client").filter(token_hash=token_hash).first()
        )

    def find_client(self, client_id: str) -> Application | None:
        return Application.objects.filter(client_id=client_id).first()

    def insert_events(self, rows: list[dict], *, confirm: Application | None = None) -> bool:
        """True when the rows were saved. `confirm`: only while that app's row is as it was loaded,
        as postgres.py does; this path caches no clients, so only tests pass it, but both keep one contract."""
        if confirm is None:
            recording.save_all(rows)
            return bool(rows)
        with transaction.atomic():
            unchanged = Application.objects.select_for_update().filter(
                pk=confirm.pk,
                updated=confirm.updated,
                status=Application.Status.ACTIVE,
                client_secret=confirm.client_secret,
            )
            if not unchanged.exists():
                return False
            recording.save_all(rows)
        return bool(rows)

    def rotate(self, row: RefreshToken, *, new_hash: str, now, grant_events: list[dict]) -> bool:
        """Replace `row` by a successor and log the grant; False when another request rotated it first."""
        with transaction.atomic():
            if not RefreshToken.objects.filter(pk=row.pk, rotated_at__isnull=True).update(
                rotated_at=now, last_used=now
            ):
                return False
            RefreshToken.objects.create(
                token_hash=new_hash, family_id=row.family_id, created=now, last_used=now, origin="rotation"
            )
            recording.save_all(grant_events)
        return True

    def touch(self, row: RefreshToken, *, now, grant_events: list[dict]) -> None:
        """A persistent token's use: restart its idle window and log the grant."""
        with transaction.atomic():
            RefreshToken.objects.filter(pk=row.pk).update(last_used=now)
            recording.save_all(grant_events)


class PostgresPath:
    """tokens/lifecycle/postgres.py: each operation one statement, atomic on its own."""

    confirms_cached_clients = True

    find_token = staticmethod(postgres.find_token)
    find_client = staticmethod(postgres.find_client)
    insert_events = staticmethod(postgres.insert_events)
    rotate = staticmethod(postgres.rotate)
    touch = staticmethod(postgres.touch)


ORM = OrmPath()
POSTGRES = PostgresPath()


def database() -> OrmPath | PostgresPath:
    """The path for this connection: PostgreSQL's statements unless ROTOR_FAST_SQL is off."""
    return POSTGRES if settings.ROTOR_FAST_SQL and connection.vendor == "postgresql" else ORM
