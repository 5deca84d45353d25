"""Under the production server (`python -m config.serve`) and under the plain gunicorn command (config/gunicorn.py), one
scrape counts what every worker served (Prometheus multi-process mode)."""

import json
import os
import shutil
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector

pytestmark = [pytest.mark.live]

TOKEN = "live-scrape-token"


@pytest.fixture
def service(live_db):
    from clients.services import create_app

    return create_app(
        {
            "label": f"metrics {uuid.uuid4().hex[:8]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )


def scrape(url: str) -> str:
    response = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200
    return response.text


def sample(text: str, line_prefix: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(line_prefix))


def counted_in_files(directory, pid: int) -> float:
    """What one process's own files hold: the files of `pid` alone, summed by the public collector."""
    alone = directory / f"only-{pid}"
    alone.mkdir()
    for f in directory.glob(f"*_{pid}.db"):
        shutil.copy(f, alone / f.name)
    total = 0.0
    for metric in MultiProcessCollector(None, path=str(alone)).collect():
        for s in metric.samples:
            if s.name == "rotor_token_requests_total" and s.labels.get("outcome") == "issued":
                total += s.value
    shutil.rmtree(alone)
    return total


@pytest.mark.parametrize("kind", ["production", "gunicorn"])
def test_one_scrape_counts_both_workers(live_server_factory, service, tmp_path, kind):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's: removed at startup
    server = live_server_factory(
        workers=2,
        extra_env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "ROTOR_METRICS_TOKEN": TOKEN, "LOG_FORMAT": "json"},
        server=kind,
    )
    assert not (metrics_dir / "counter_999999.db").exists()
    app, secret = service
    assert requests.get(f"{server.url}/metrics", timeout=5).status_code == 401
    before = sample(scrape(server.url), 'rotor_token_requests_total{grant_type="client_credentials",outcome="issued"}')

    def grant(_):
        response = requests.post(
            f"{server.url}/oauth2/default/v1/token",
            data={"grant_type": "client_credentials", "scope": "api:read"},
            auth=(app.client_id, secret),
            timeout=10,
        )
        return response.status_code

    n = 60
    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(grant, range(n))) == [200] * n
    text = scrape(server.url)
    issued = 'rotor_token_requests_total{grant_type="client_credentials",outcome="issued"}'
    assert sample(text, issued) - before == n
    assert sample(text, 'rotor_request_duration_seconds_count{endpoint="token"}') >= n

    pids = server.worker_pids()
    assert len(pids) == 2
    per_worker = [counted_in_files(metrics_dir, pid) for pid in pids]
    assert all(count > 0 for count in per_worker), per_worker  # both served some
    assert sum(per_worker) == sample(text, issued)

    # A worker that dies keeps its counts in the scrape; its replacement starts from zero.
    os.kill(pids[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not ((now := server.worker_pids()) and len(now) == 2 and pids[0] not in now):  # gunicorn replaced it
        assert time.monotonic() < deadline, now
        time.sleep(0.2)
    assert sample(scrape(server.url), issued) - before == n

    lines = [json.loads(line) for line in Path(server.log.name).read_text().splitlines() if line.startswith("{")]
    token_lines = [line for line in lines if line.get("logger") == "rotor.requests" and line["endpoint"] == "token"]
    assert len(token_lines) == n
    assert {(line["outcome"], line["client_id"], line["status"]) for line in token_lines} == {
        ("issued", app.client_id, 200)
    }
    assert not any(secret in json.dumps(line) for line in lines)


@pytest.mark.parametrize("kind", ["production", "gunicorn"])
def test_without_a_directory_the_server_makes_one(live_server_factory, kind):
    server = live_server_factory(workers=2, extra_env={"ROTOR_METRICS_TOKEN": TOKEN}, server=kind)
    for _ in range(8):
        assert requests.get(f"{server.url}/oauth2/v1/keys", timeout=5).status_code == 200
    assert sample(scrape(server.url), 'rotor_request_duration_seconds_count{endpoint="keys"}') >= 8
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
