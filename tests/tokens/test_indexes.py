"""The token tables carry the indexes their queries use and no others (migrations tokens.0003, 0004).

Every rotation inserts a refresh token and three events, so each index on those tables is paid for
on every refresh, and a LIKE-only twin of a 64-character digest is as large as the real index.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from tokens.models import RefreshToken, TokenFamily

pytestmark = pytest.mark.postgres


def index_definitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_no_token_table_has_a_like_only_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'tokens\\_%%' AND indexdef LIKE '%%_pattern_ops%%'"
        )
        like_only = [row[0] for row in cursor.fetchall()]
    # Signing keys and the servers' configuration (tokens/servers/models.py): a few rows, never written hot.
    cold = ("signingkey", "authorizationserver", "scope", "claim", "policy")
    assert [name for name in like_only if not any(table in name for table in cold)] == []


@pytest.mark.django_db
def test_a_rotation_writes_three_refresh_token_index_entries():
    """pkey, the family's tokens, the unique digest."""
    definitions = index_definitions("tokens_refreshtoken")
    assert len(definitions) == 3
    assert any("UNIQUE" in d and "(token_hash)" in d for d in definitions)
    assert any("(family_id)" in d for d in definitions)


@pytest.mark.django_db
def test_a_family_is_found_by_client_and_user_through_the_composite_indexes_only():
    definitions = index_definitions("tokens_tokenfamily")
    assert not any(d.endswith("(client_id)") or d.endswith("(user_id)") for d in definitions)
    assert any("(client_id, status)" in d for d in definitions)
    assert any("(user_id, status)" in d for d in definitions)


def test_digests_and_public_ids_stay_unique(end_user, make_app):
    from django.utils import timezone

    app, _ = make_app(label="u", application_type="browser", grant_types=["authorization_code", "refresh_token"])
    family = TokenFamily.objects.create(
        client=app, user=end_user, server="org", auth_time=timezone.now(), idle_minutes=60
    )
    now = timezone.now()
    RefreshToken.objects.create(token_hash="a" * 64, family=family, created=now, last_used=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        RefreshToken.objects.create(token_hash="a" * 64, family=family, created=now, last_used=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        TokenFamily.objects.create(
            public_id=family.public_id, client=app, user=end_user, server="org", auth_time=now, idle_minutes=60
        )
