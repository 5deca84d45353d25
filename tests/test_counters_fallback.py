"""While Redis does not answer, the management API's and the guessing limits count in the database:
they keep holding, and the outage is never a 500."""

from core import counters
from core.models import AttemptCounter

DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_counting_falls_back_to_the_database(settings, db, caplog):
    settings.REDIS_URL = DEAD_REDIS
    assert counters.hit("t", "x", window_seconds=60) == 1
    assert counters.reserve("r", "x", limit=1, window_seconds=60)
    assert not counters.reserve("r", "x", limit=1, window_seconds=60)
    assert counters.peek("r", "x", window_seconds=60) == 1
    counters.reset("r", "x", window_seconds=60)
    assert counters.peek("r", "x", window_seconds=60) == 0
    assert AttemptCounter.objects.count() == 1
    assert "counting in the database meanwhile" in caplog.text


def test_the_management_api_answers_while_redis_is_down(settings, api_client):
    settings.REDIS_URL = DEAD_REDIS
    response = api_client.get("/api/v1/apps")
    assert response.status_code == 200
    assert response["X-Rate-Limit-Remaining"]
