"""Rate limits are shared by every node: two gunicorn servers on one database count together."""

import uuid

import pytest
import requests

from accounts.models import User
from accounts.services import create_api_token


@pytest.mark.live
def test_two_nodes_share_one_counter(live_server_factory, live_db):
    name = f"rl-admin-{uuid.uuid4().hex[:8]}@example.com"
    admin = User.objects.create_user(name, name, "admin password 123", is_staff=True)
    env = {"ROTOR_API_RATE_LIMIT_PER_MINUTE": "5"}
    node_a, node_b = live_server_factory(workers=1, extra_env=env), live_server_factory(workers=1, extra_env=env)

    for _attempt in range(2):  # a window that ends mid-burst resets the count; then once more, afresh
        headers = {"Authorization": f"SSWS {create_api_token(admin, 'rate')[1]}"}
        responses = [
            requests.get(f"{node.url}/api/v1/logs", headers=headers, timeout=10) for node in [node_a, node_b] * 3
        ]
        if len({r.headers["X-Rate-Limit-Reset"] for r in responses}) == 1:
            break
    assert len({r.headers["X-Rate-Limit-Reset"] for r in responses}) == 1
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 429]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert responses[-1].json()["errorCode"] == "E0000047"
    assert all(r.headers["X-Rate-Limit-Limit"] == "5" for r in responses)
