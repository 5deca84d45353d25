"""The bench harness's own moving parts: the query-counting WSGI wrapper, the wrk token pool, the
profile summary. The loads themselves run under `make bench`, not here."""

import importlib
import io
import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

LUA = Path(__file__).resolve().parents[2] / "bench" / "lua"


def _wsgi_call(app, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[str, dict]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    # As Django's test client does: keep the test's connection open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        b"".join(app(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"]


def test_counting_wrapper_reports_the_statements_of_each_request(db, monkeypatch, make_app):
    monkeypatch.setenv("ROTOR_COUNT_QUERIES", "1")
    import bench.wsgi

    app, secret = make_app(  # the secret travels in the body, so the app is registered for that
        application_type="service", grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_post"
    )
    body = f"grant_type=client_credentials&scope=api%3Aread&client_id={app.client_id}&client_secret={secret}"
    wsgi = importlib.reload(bench.wsgi).application
    with CaptureQueriesContext(connection) as queries:
        status, headers = _wsgi_call(
            wsgi, "POST", "/oauth2/default/v1/token", body.encode(), "application/x-www-form-urlencoded"
        )
    assert status.startswith("200")
    assert int(headers["X-Rotor-Queries"]) == len(queries) > 0


def test_without_the_flag_the_bench_serves_plain_rotor(monkeypatch):
    monkeypatch.delenv("ROTOR_COUNT_QUERIES", raising=False)
    import bench.wsgi
    import config.wsgi

    assert importlib.reload(bench.wsgi).application is config.wsgi.application


class _RotatingServer(BaseHTTPRequestHandler):
    """Answers each refresh with a new token, and remembers every token presented."""

    presented: list[str] = []
    lock = threading.Lock()

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        token = form["refresh_token"][0]
        with self.lock:
            self.presented.append(token)
            new = f"n{len(self.presented)}"
        body = json.dumps({"access_token": "a", "refresh_token": new}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # wrk hangs up on its last requests when its time is up


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs Debian's wrk (make bench installs it)")
def test_rotate_script_spends_each_token_once_and_writes_back_the_rest(tmp_path):
    pool = tmp_path / "pool.tokens"
    out = tmp_path / "pool.left"
    pool.write_text("".join(f"t{i}\n" for i in range(40)))
    _RotatingServer.presented = []
    server = _QuietServer(("127.0.0.1", 0), _RotatingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            ["wrk", "-t1", "-c4", "-d1s", "-s", str(LUA / "refresh_rotate.lua"),
             f"http://127.0.0.1:{server.server_port}", "--",
             f"tokens={pool}", f"out={out}", "path=/token", "client_id=app"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    finally:
        server.shutdown()
    summary = json.loads(result.stdout.split("BENCH_JSON ", 1)[1].splitlines()[0])
    presented = _RotatingServer.presented
    assert summary["non200"] == 0 and summary["missing_token"] == 0 and summary["exhausted"] == 0
    assert len(presented) > 40  # the new tokens came back into the pool and were spent in turn
    assert len(set(presented)) == len(presented)  # never the same token twice
    # Oldest first: every minted token went out before the new ones (give or take the 4 in flight).
    # wrk calls request() once to check the script before it connects, so t0 is never sent.
    assert "t0" not in presented
    assert max(presented.index(f"t{i}") for i in range(1, 40)) < 39 + 4
    left = out.read_text().split()
    assert not set(left) & ({"t0"} | set(presented))  # only unspent tokens are written back
    assert summary["leftover"] == len(left) > 0


def test_profile_summary_counts_only_request_handling(tmp_path):
    from bench.run import PROFILE_RATE, summarise_profile

    raw = tmp_path / "profile.txt"
    raw.write_text(
        "run (gunicorn/arbiter.py:10);wait (gunicorn/workers/sync.py:30) 500\n"
        "handle_request (gunicorn/workers/sync.py:1);refresh (tokens/lifecycle.py:5);execute (db.py:9) 30\n"
        "handle_request (gunicorn/workers/sync.py:1);refresh (tokens/lifecycle.py:6) 10\n"
        "handle_request (gunicorn/workers/sync.py:1);sign (jwt/algorithms.py:3) 10\n"
    )
    summary = summarise_profile(raw, {"requests": 20}, workers=2, worker_cpu=25.0, scale_to_cpu=False)
    assert summary["samples_in_requests"] == 50
    # 50 samples at PROFILE_RATE over 10 requests handled by this worker
    assert summary["sampled_ms_per_req"] == round(50 * 1000 / PROFILE_RATE / 10, 3)
    inclusive = {row["frame"]: row["share"] for row in summary["inclusive"]}
    assert inclusive["refresh (tokens/lifecycle.py)"] == 0.8  # both lines of one function, counted once
    cpu = summarise_profile(raw, {"requests": 20}, workers=2, worker_cpu=25.0, scale_to_cpu=True)
    assert cpu["sampled_ms_per_req"] == 2.5  # scaled to the measured CPU: 25 ms over 10 requests
