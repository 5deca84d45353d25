"""A real Rotor under its production server on a free 127.0.0.1 port, for end-to-end, race and browser tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # logs and screenshots of a run, for review (git ignores them)
CHROMIUM = "/usr/bin/chromium"  # Debian's, never a downloaded one
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database the test session runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


_static_collected = False


def collect_static(env: dict) -> None:
    """Production static files (whitenoise's manifest), once per test session; the demo's too, so a live
    server with ROTOR_DEMO=1 (tests/browser/test_demo.py) finds them whichever server starts first."""
    global _static_collected
    if not _static_collected:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v0"],
            cwd=ROOT,
            env={**env, "ROTOR_DEMO": "1"},
            check=True,
        )
        _static_collected = True


def start_gunicorn(env: dict, port: int, workers: int, log, wsgi: str = "config.wsgi") -> subprocess.Popen:
    """Rotor under gunicorn, sync workers, on 127.0.0.1:`port`; returned once it answers.

    The plain gunicorn command README "Production" documents beside `python -m config.serve`.
    """
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        wsgi,
        "--config",
        "config/gunicorn.py",  # sync workers, Prometheus multi-process mode: what config/serve.py starts
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
    ]
    return _started(command, env, port, log, "gunicorn")


def start_production(env: dict, port: int, workers: int, log, wsgi: str = "config.wsgi") -> subprocess.Popen:
    """Rotor the production way (`python -m config.serve`: gunicorn, README "Production") on 127.0.0.1:`port`."""
    command = [sys.executable, "-m", "config.serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--app", f"{wsgi}:application" if ":" not in wsgi else wsgi]
    return _started(command, env, port, log, "config.serve")


SERVERS = {"production": start_production, "gunicorn": start_gunicorn}


def _started(command: list[str], env: dict, port: int, log, name: str) -> subprocess.Popen:
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited early; see {log.name}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/oauth2/v1/keys", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"{name} did not answer within 60 s; see {log.name}")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class LiveServer:
    def __init__(self, workers: int = 2, extra_env: dict | None = None, server: str = "production"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each server its own (config/serve.py makes one)
        env.update(
            DATABASE_URL=database_url(),
            SECRET_KEY=settings.SECRET_KEY,
            ROTOR_KEY_ENCRYPTION_SECRET=settings.ROTOR_KEY_ENCRYPTION_SECRET,
            ROTOR_ISSUER=self.url,
            DEBUG="0",
            PORT=str(self.port),
            ALLOWED_HOSTS="127.0.0.1,localhost",
        )
        env.update(extra_env or {})
        collect_static(env)
        self.log = open(ARTIFACTS / f"{server}-{self.port}.log", "w")  # noqa: SIM115
        self.proc = SERVERS[server](env, self.port, workers, self.log)

    def worker_pids(self) -> list[int]:
        """The worker processes (leaving out a multiprocessing resource tracker, should one run)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split() if b"resource_tracker" not in _cmdline(int(pid))]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
