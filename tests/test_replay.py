"""core/replay.py: a value is accepted once until it expires, in Redis and in the database alike."""

import pytest
from django.test import override_settings
from django.utils import timezone

from core import replay
from core.models import SeenValue
from tests.kit.limits import REDIS_TEST_URL, clean_redis

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "database":
        with override_settings(REDIS_URL=""):
            yield request.param
        return
    clean_redis()
    with override_settings(REDIS_URL=REDIS_TEST_URL):
        yield request.param


def test_a_value_is_accepted_once(store):
    assert replay.first_use("dpop", "jti-1", ttl_seconds=60)
    assert not replay.first_use("dpop", "jti-1", ttl_seconds=60)
    assert replay.first_use("dpop", "jti-2", ttl_seconds=60)
    assert replay.first_use("assertion", "jti-1", ttl_seconds=60), "scopes do not share values"


def test_an_expired_value_may_come_again():
    with override_settings(REDIS_URL=""):
        assert replay.first_use("dpop", "old", ttl_seconds=60)
        SeenValue.objects.update(expires_at=timezone.now())
        assert replay.first_use("dpop", "old", ttl_seconds=60)
        assert not replay.first_use("dpop", "old", ttl_seconds=60)


def test_the_database_keeps_no_raw_value():
    with override_settings(REDIS_URL=""):
        replay.first_use("dpop", "secret-jti", ttl_seconds=60)
    assert "secret-jti" not in SeenValue.objects.get().key


def test_redis_down_falls_back_to_the_database():
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        assert replay.first_use("dpop", "during-outage", ttl_seconds=60)
        assert not replay.first_use("dpop", "during-outage", ttl_seconds=60)
    assert SeenValue.objects.count() == 1
