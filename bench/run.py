"""`make bench`: Rotor under load, run the production way and measured with wrk.

Starts gunicorn (sync workers, DEBUG off) on a fresh PostgreSQL database, creates the clients
through clients.services, mints refresh tokens and codes through the real authorization-code +
PKCE flow over HTTP, drives each load with wrk and a Lua script, and prints a table (JSON under
bench/results/). bench/README.md explains the method and every figure.
"""

import argparse
import base64
import json
import multiprocessing
import os
import platform
import re
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench import peers  # noqa: E402
from tests.kit.dpop import DPoPKey  # noqa: E402
from tests.kit.live import SERVERS, free_port  # noqa: E402
from tests.kit.oauth import live_sign_in, pkce_pair  # noqa: E402

TOKEN_PATH = "/oauth2/v1/token"
SERVICE_TOKEN_PATH = "/oauth2/default/v1/token"  # client_credentials needs a custom server's scopes
SCOPE = "openid offline_access"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the code is read from the Location header
PASSWORD = "bench password 1234"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def code_grant(code: str, verifier: str) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{quote(client_id)}:{quote(secret)}".encode()).decode()


# Processes and CPU ----------------------------------------------------------------------------


def cpu_each(pids: list[int]) -> dict[int, float]:
    """utime + stime of each of these processes still alive, in ms (/proc/<pid>/stat fields 14, 15)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) * 1000 / CLK_TCK
    return found


def cpu_ms(pids: list[int]) -> float:
    return sum(cpu_each(pids).values())


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def server_command(spec: str, wsgi: str, port: int, workers: int) -> list[str]:
    """The command line of one HTTP server spec beyond `production` (config/serve.py) and `gunicorn`
    (config/gunicorn.py, sync workers): `gunicorn:…` or `granian:…` with `:option=value` pairs passed as
    `--option value` (e.g. `granian:blocking-threads=1:backpressure=1`, `granian:no-http1-keep-alive`)."""
    kind, *options = spec.split(":")
    extra = []
    for option in options:
        name, _, value = option.partition("=")
        extra += [f"--{name}", *([value] if value else [])]
    bin_dir = Path(sys.executable).parent
    if kind == "gunicorn":
        return [
            str(bin_dir / "gunicorn"), wsgi, "--config", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--timeout", "60", *extra,
        ]  # fmt: skip
    if kind == "granian":
        target = wsgi if ":" in wsgi else f"{wsgi}:application"
        return [
            str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--no-ws", "--log-level", "warning", *extra, target,
        ]  # fmt: skip
    raise SystemExit(f"unknown server {spec!r} (gunicorn, granian[:option=value...])")


class Server:
    """One Rotor node: `config.wsgi` (or bench.wsgi when counting queries) on 127.0.0.1 under the
    production server (config/serve.py, as the live tests start it) or another server spec (`--servers`)."""

    def __init__(
        self, env: dict, workers: int, *, wsgi: str = "config.wsgi", name: str = "node", spec: str = "production"
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.spec = spec
        self.log_path = RESULTS / f"server-{name}-{self.port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        # Each server its own Prometheus directory: its per-pid files give the per-worker request counts.
        self.metrics_dir = RESULTS / f"metrics-{name}-{self.port}"
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        env = env | {"PORT": str(self.port), "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        if spec in SERVERS:  # as the live tests start it: `python -m config.serve`, or config/gunicorn.py
            self.proc = SERVERS[spec](env, self.port, workers, self.log, wsgi=wsgi)
        else:
            self.proc = subprocess.Popen(
                server_command(spec, wsgi, self.port, workers),
                cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            self._wait_until_up()
        while len(self.worker_pids()) < workers:
            time.sleep(0.1)
        # Touch every worker (imports, key cache, DB connection) before anything is measured; with
        # keep-alive servers, on fresh connections so that each worker gets some.
        for _ in range(workers * 8):
            requests.get(f"{self.url}/oauth2/v1/keys", timeout=5, headers={"Connection": "close"})

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec} exited early; see {self.log_path}")
            try:
                if requests.get(f"{self.url}/oauth2/v1/keys", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{self.spec} did not answer within 60 s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        # granian's workers are processes of their own; leave out multiprocessing's helper.
        return [p for p in children(self.proc.pid) if "resource_tracker" not in _cmdline(p)]

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.worker_pids()]

    def requests_by_worker(self) -> dict[int, int]:
        """Requests each worker process has timed so far (the latency histogram's observations in its
        own Prometheus file; every OAuth endpoint and JWKS is observed: tokens/ops.py)."""
        from prometheus_client.mmap_dict import MmapedDict

        counts = {}
        for path in self.metrics_dir.glob("histogram_*.db"):
            pid = int(path.stem.rsplit("_", 1)[1])
            counts[pid] = int(
                sum(v for key, v, *_ in MmapedDict.read_all_values_from_file(str(path)) if '_bucket"' in key)
            )
        return counts

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# RS256 signing ceiling ------------------------------------------------------------------------


def _sign_for(seconds: float, queue) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # Rotor's key size (tokens/servers/keys.py)
    message = secrets.token_bytes(600)  # about a JWT header + payload
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    queue.put(count / (time.perf_counter() - start))


def signing_rate(seconds: float, processes: int = 2) -> dict:
    """RS256 signatures/s with one signing process per core, all at once."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_sign_for, args=(seconds, queue)) for _ in range(processes)]
    for p in procs:
        p.start()
    rates = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    total = sum(rates)
    return {
        "processes": processes,
        "seconds": seconds,
        "signatures_per_s": round(total, 1),
        "per_process": [round(r, 1) for r in rates],
        "ms_per_signature_one_core": round(1000 / (total / processes), 4),
        "refresh_ceiling_per_s": round(total / 2, 1),  # a refresh signs an access token and an ID token
    }


# Database and Django --------------------------------------------------------------------------


def fresh_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    return parts._replace(path=f"/{name}").geturl()


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def db_stats() -> dict:
    """This database's counters (pg_stat_database) and the CPU of its server backends."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_fetched, blks_hit "
            "FROM pg_stat_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    names = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_fetched", "blks_hit")
    return dict(zip(names, row, strict=True)) | {"backends": backends, "backend_cpu": cpu_each(backends)}


def create_fixtures(users: int) -> dict:
    """The bench's users and apps, made through the same services as the console and API."""
    from accounts.services import create_user
    from clients.services import create_app

    stamp = secrets.token_hex(3)
    people = []
    for i in range(users):
        name = f"bench-{stamp}-{i}@example.com"
        create_user(username=name, email=name, first_name="Bench", last_name=f"User{i}", password=PASSWORD)
        people.append(name)
    code_flow = {"grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [REDIRECT_URI]}
    specs = {
        "public_rotate": {"application_type": "browser", "rotation_type": "ROTATE"} | code_flow,
        "confidential_rotate": {
            "application_type": "web",
            "rotation_type": "ROTATE",
            "token_endpoint_auth_method": "client_secret_basic",
        }
        | code_flow,
        "static": {"application_type": "web", "rotation_type": "STATIC"} | code_flow,
        "service": {"application_type": "service", "grant_types": ["client_credentials"]},
        # DPoP required (RFC 9449): every family bound to the bench's key, every refresh with a proof.
        "dpop_rotate": {"application_type": "browser", "rotation_type": "ROTATE", "dpop_bound_access_tokens": True}
        | code_flow,
        # For the race checks only: no leeway, so a second use of a token is always a replay.
        "no_leeway": {"application_type": "browser", "rotation_type": "ROTATE", "leeway": 0} | code_flow,
    }
    apps = {}
    for key, spec in specs.items():
        app, secret = create_app({"label": f"Bench {key} {stamp}"} | spec)
        apps[key] = App(key, app.client_id, secret, app.leeway)
    return {"users": people, "apps": apps}


@dataclass
class App:
    key: str
    client_id: str
    secret: str | None
    leeway: int

    def auth(self) -> dict:
        """Options for the Lua scripts: Basic for confidential clients, client_id in the body otherwise."""
        return {"auth": basic(self.client_id, self.secret)} if self.secret else {"client_id": self.client_id}

    def post(self, base: str, data: dict, **kw) -> requests.Response:
        url = base + (SERVICE_TOKEN_PATH if data.get("grant_type") == "client_credentials" else TOKEN_PATH)
        if self.secret:
            return requests.post(url, data=data, auth=(self.client_id, self.secret), timeout=30, **kw)
        return requests.post(url, data=data | {"client_id": self.client_id}, timeout=30, **kw)


# Minting through the real flow ----------------------------------------------------------------


class DPoPSigner:
    """The bench client's DPoP key (ES256, as a browser would make one) and its proofs for the token endpoint,
    each with its own jti and the server's current nonce (valid 5 to 10 minutes, tokens/oauth/dpop.py)."""

    def __init__(self, issuer: str, base: str):
        self.key = DPoPKey("ES256")
        self.url = issuer + TOKEN_PATH  # `htu`: the endpoint as ROTOR_ISSUER names it, whichever node answers
        self.base = base
        self._nonce: tuple[float, str] | None = None

    def nonce(self) -> str:
        """Okta's round: a proof without a nonce gets `use_dpop_nonce` and the nonce in `DPoP-Nonce`."""
        if self._nonce is None or time.monotonic() - self._nonce[0] > 60:
            response = requests.post(
                self.base + TOKEN_PATH, data={}, headers={"DPoP": self.key.proof(self.url)}, timeout=30
            )
            self._nonce = (time.monotonic(), response.headers["DPoP-Nonce"])
        return self._nonce[1]

    def proof(self) -> str:
        return self.key.proof(self.url, nonce=self.nonce())

    def proofs(self, count: int) -> list[str]:
        nonce = self.nonce()
        return [self.key.proof(self.url, nonce=nonce) for _ in range(count)]


class Minter:
    """Signed-in browser sessions (one per user, through the real sign-in form) that mint codes."""

    def __init__(self, base: str, users: list[str], apps: dict[str, App], issuer: str):
        self.base = base
        self.dpop = DPoPSigner(issuer, base)
        any_app = apps["public_rotate"]

        def sign_in(user: str) -> dict:
            for attempt in range(3):  # a password hash per user: slow when the shared machine is busy
                try:
                    return live_sign_in(base, any_app.client_id, REDIRECT_URI, user, PASSWORD, scope=SCOPE)
                except requests.Timeout:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        with ThreadPoolExecutor(len(users)) as pool:
            grants = list(pool.map(sign_in, users))
        self.browsers = [g["browser"] for g in grants]

    def _code(self, browser: requests.Session, app: App) -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        params = {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": "bench",
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        response = browser.get(f"{self.base}/oauth2/v1/authorize", params=params, allow_redirects=False, timeout=30)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith(REDIRECT_URI):
            raise RuntimeError(f"authorize gave {response.status_code} {location[:200]}")
        return parse_qs(urlsplit(location).query)["code"][0], verifier

    def _refresh_token(self, browser: requests.Session, app: App) -> str:
        code, verifier = self._code(browser, app)
        data = code_grant(code, verifier)
        headers = {"DPoP": self.dpop.proof()} if app.key == "dpop_rotate" else {}
        response = app.post(self.base, data, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"code exchange gave {response.status_code} {response.text[:200]}")
        return response.json()["refresh_token"]

    def _spread(self, count: int, work) -> list:
        """Run `work(browser)` `count` times, each session in its own thread (Sessions aren't shared)."""
        n = len(self.browsers)
        shares = [count // n + (1 if i < count % n else 0) for i in range(n)]
        with ThreadPoolExecutor(n) as pool:
            chunks = pool.map(lambda i: [work(self.browsers[i]) for _ in range(shares[i])], range(n))
            return [item for chunk in chunks for item in chunk]

    def refresh_tokens(self, app: App, count: int) -> list[str]:
        return self._spread(count, lambda b: self._refresh_token(b, app))

    def codes(self, app: App, count: int) -> list[str]:
        return [f"{c} {v}" for c, v in self._spread(count, lambda b: self._code(b, app))]


# wrk ------------------------------------------------------------------------------------------


@dataclass
class Load:
    name: str
    script: str
    options: dict
    pool: Path | None = None  # token/code file the Lua script consumes
    refresh: bool = False  # signs two tokens: compared with the signing ceiling
    consumes: bool = False  # each item is spent once: the script writes the unused rest back
    proofs: "DPoPSigner | None" = None  # signs one DPoP proof per request ahead of each phase


# Proofs signed ahead per node and phase: more than a node serves in a second (signing one costs ~0.1 ms).
DPOP_PROOFS_PER_SECOND = 1000


def wrk(
    url: str,
    load: Load,
    *,
    seconds: float,
    connections: int,
    pool: Path | None = None,
    out: Path | None = None,
    proofs: Path | None = None,
):
    options = dict(load.options)
    if proofs is not None:
        options["proofs"] = str(proofs)
    if pool is not None:
        options["tokens"] = str(pool)
    if out is not None:
        options["out"] = str(out)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA / load.script), url, "--", *(f"{k}={v}" for k, v in options.items())]
    result = subprocess.run(cmd, capture_output=True, text=True)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.M)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-2000:]} {result.stderr[-2000:]}")
    data = json.loads(match.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def run_load(nodes: list[Server], load: Load, args, *, label: str | None = None) -> dict:
    """Warm up, then measure, one wrk per node with the connections split between them.

    Token pools are split between the wrk processes; each run writes its unused tokens back, so the
    measured run continues with the tokens the warm-up left (rotated tokens never come back).
    """
    per_node = max(1, args.connections // len(nodes))
    pools = _split_pool(load.pool, len(nodes)) if load.pool else [None] * len(nodes)

    def phase(seconds: float) -> list[dict]:
        results: list = [None] * len(nodes)
        proofs = [None] * len(nodes)
        if load.proofs is not None:  # fresh ones for every phase and node: each jti is accepted once
            for i in range(len(nodes)):
                proofs[i] = load.pool.with_name(f"{load.pool.stem}.proofs{i}")
                proofs[i].write_text("\n".join(load.proofs.proofs(int(seconds * DPOP_PROOFS_PER_SECOND) + 100)) + "\n")

        def go(i: int) -> None:
            pool = pools[i]
            out = pool.with_suffix(".left") if pool and load.consumes else None
            results[i] = wrk(
                nodes[i].url, load, seconds=seconds, connections=per_node, pool=pool, out=out, proofs=proofs[i]
            )
            if out is not None:
                out.replace(pool)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(nodes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    if args.warmup > 0:
        phase(args.warmup)
    pids = [pid for node in nodes for pid in node.pids()]
    redis_pids = [
        int(p) for p in subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True).stdout.split()
    ]
    before_cpu, before_db, load_before = cpu_ms(pids), db_stats(), loadavg()
    before_by_worker = [node.requests_by_worker() for node in nodes]
    before_redis = cpu_ms(redis_pids)
    before_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = phase(args.duration)
    after_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)  # the wrk processes that just exited
    after_cpu, after_db, after_redis = cpu_ms(pids), db_stats(), cpu_ms(redis_pids)
    by_worker = [
        sorted((n - before.get(pid, 0) for pid, n in node.requests_by_worker().items()), reverse=True)
        for node, before in zip(nodes, before_by_worker, strict=True)
    ]
    if load.pool:
        _join_pool(load.pool, pools)
    requests_done = sum(r["requests"] for r in results)
    per = max(requests_done, 1)
    # Backends that ended during the run (a closed connection) drop out rather than count negative.
    after_backends = cpu_each(before_db["backends"])
    db_cpu = sum(ms - before_db["backend_cpu"][pid] for pid, ms in after_backends.items())
    row = {
        "load": label or load.name,
        "nodes": len(nodes),
        "workers_per_node": nodes[0].workers,
        "connections": per_node * len(nodes),
        "requests": requests_done,
        "rps": round(sum(r["rps"] for r in results), 1),
        # With two nodes the percentiles are the worse of the two wrk processes.
        "p50_ms": max(r["latency_ms"]["p50"] for r in results),
        "p90_ms": max(r["latency_ms"]["p90"] for r in results),
        "p99_ms": max(r["latency_ms"]["p99"] for r in results),
        "max_ms": max(r["latency_ms"]["max"] for r in results),
        "non200": sum(r["non200"] for r in results),
        "socket_errors": sum(sum(r["socket_errors"].values()) for r in results),
        "missing_token": sum(r["missing_token"] for r in results),
        "pool_ran_dry": sum(r["exhausted"] for r in results),
        "server_cpu_ms_per_req": round((after_cpu - before_cpu) / per, 3),
        "db_cpu_ms_per_req": round(db_cpu / per, 3),
        # Every redis-server on the machine (the rate-limit counters with REDIS_URL); ~0 when unused.
        "redis_cpu_ms_per_req": round((after_redis - before_redis) / per, 3),
        "wrk_cpu_ms_per_req": round(
            1000 * (after_wrk.ru_utime + after_wrk.ru_stime - before_wrk.ru_utime - before_wrk.ru_stime) / per, 3
        ),
        "xact_per_req": round((after_db["xact_commit"] - before_db["xact_commit"]) / per, 2),
        "rows_inserted_per_req": round((after_db["tup_inserted"] - before_db["tup_inserted"]) / per, 2),
        "rows_updated_per_req": round((after_db["tup_updated"] - before_db["tup_updated"]) / per, 2),
        "loadavg_before": load_before,
        # Each worker's share of the requests, per node, largest first (even sharing: about equal).
        "requests_by_worker": by_worker,
        "server": nodes[0].spec,
        "refresh": load.refresh,
        "wrk": results,
    }
    ok = row["non200"] == 0 and row["socket_errors"] == 0 and row["missing_token"] == 0 and row["pool_ran_dry"] == 0
    row["ok"] = ok
    row["ended"] = time.monotonic()  # for the race checks' leeway wait; dropped from the JSON
    log(
        f"  {row['load']}: {row['rps']:.0f} req/s, p50 {row['p50_ms']:.1f} p99 {row['p99_ms']:.1f} ms, "
        f"non-200 {row['non200']}, cpu {row['server_cpu_ms_per_req']:.2f} ms/req"
        + (f", by worker {'/'.join(str(n) for w in by_worker for n in w)}" if any(by_worker) else "")
        + ("" if ok else "  <-- NOT OK")
    )
    return row


def _split_pool(pool: Path, parts: int) -> list[Path]:
    if parts == 1:
        return [pool]
    lines = pool.read_text().splitlines()
    paths = []
    for i in range(parts):
        part = pool.with_name(f"{pool.stem}.part{i}{pool.suffix}")
        part.write_text("\n".join(lines[i::parts]) + "\n")
        paths.append(part)
    return paths


def _join_pool(pool: Path, parts: list[Path]) -> None:
    if parts == [pool]:
        return
    text = "".join(p.read_text() for p in parts)
    pool.write_text(text)
    for p in parts:
        p.unlink()


# Query counts -------------------------------------------------------------------------------


def count_queries(base: str, apps: dict[str, App], samples: dict[str, list[str]], introspect_body: dict) -> dict:
    """SQL statements per request of each load, from a counting server's X-Rotor-Queries header."""

    def counted(response: requests.Response) -> int:
        if response.status_code != 200:
            raise RuntimeError(f"query count request gave {response.status_code}: {response.text[:200]}")
        return int(response.headers["X-Rotor-Queries"])

    counts: dict[str, list[int]] = {}
    for key, load in (("public_rotate", "refresh ROTATE public"), ("confidential_rotate", "refresh ROTATE Basic")):
        counts[load] = [
            counted(apps[key].post(base, {"grant_type": "refresh_token", "refresh_token": t})) for t in samples[key]
        ]
    signer = samples["dpop"]  # the families are bound to the minting key
    counts["refresh ROTATE public DPoP"] = [
        counted(
            apps["dpop_rotate"].post(
                base, {"grant_type": "refresh_token", "refresh_token": t}, headers={"DPoP": signer.proof()}
            )
        )
        for t in samples["dpop_rotate"]
    ]
    counts["refresh STATIC"] = [
        counted(apps["static"].post(base, {"grant_type": "refresh_token", "refresh_token": t}))
        for t in samples["static"]
    ]
    counts["client_credentials"] = [
        counted(apps["service"].post(base, {"grant_type": "client_credentials", "scope": "api:read"}))
        for _ in range(10)
    ]
    counts["code exchange"] = []
    for line in samples["codes"]:
        code, verifier = line.split()
        data = code_grant(code, verifier)
        counts["code exchange"].append(counted(apps["public_rotate"].post(base, data)))
    static = apps["static"]
    counts["introspect"] = [
        counted(
            requests.post(
                f"{base}/oauth2/v1/introspect", data=introspect_body, auth=(static.client_id, static.secret), timeout=30
            )
        )
        for _ in range(10)
    ]
    counts["JWKS"] = [counted(requests.get(f"{base}/oauth2/v1/keys", timeout=30)) for _ in range(10)]
    return {load: {"mean": sum(v) / len(v), "min": min(v), "max": max(v)} for load, v in counts.items()}


# Race checks (two-nodes mode) -----------------------------------------------------------------


def _both_at_once(nodes: list[Server], app: App, token: str) -> list[requests.Response]:
    barrier = threading.Barrier(len(nodes))
    out: list = [None] * len(nodes)

    def go(i: int) -> None:
        barrier.wait()
        out[i] = app.post(nodes[i].url, {"grant_type": "refresh_token", "refresh_token": token})

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(nodes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _family_status(token: str) -> tuple[str, str]:
    from tokens.lifecycle.families import find_token

    family = find_token(token).family
    return family.status, family.revoked_reason


def race_checks(
    nodes: list[Server], apps: dict[str, App], minter: Minter, initial: list[str], rotated_until: float
) -> dict:
    """Every guarantee of the refresh-token lifecycle, with the requests split across both nodes.

    `initial` is the public client's pool before the load; those the load rotated are replayed.
    """
    from clients.models import Application
    from clients.services import deactivate_app, rotate_secret
    from core.crypto import hash_token
    from tokens.models import RefreshToken, TokenFamily

    checks: list[dict] = []

    def check(name: str, passed: bool, detail: str = "") -> None:
        checks.append({"check": name, "passed": bool(passed), "detail": detail})
        log(f"  {'PASS' if passed else 'FAIL'} {name} {detail}")

    revoked = TokenFamily.objects.filter(status=TokenFamily.Status.REVOKED).count()
    graces = RefreshToken.objects.filter(origin="grace").count()
    check(
        "no family revoked and no grace token under the two-node load",
        revoked == 0 and graces == 0,
        f"(revoked {revoked}, grace {graces})",
    )

    # 1. Tokens rotated during the load, replayed after their leeway: invalid_grant, family revoked.
    app = apps["public_rotate"]
    wait = app.leeway + 1 - (time.monotonic() - rotated_until)
    if wait > 0:
        log(f"  waiting {wait:.0f} s for the leeway ({app.leeway} s) of the last rotations to pass")
        time.sleep(wait)
    by_hash = {hash_token(t): t for t in initial}
    rotated = RefreshToken.objects.filter(token_hash__in=list(by_hash), rotated_at__isnull=False)
    sample = [by_hash[h] for h in rotated.values_list("token_hash", flat=True)[:10]]
    results = []
    for i, token in enumerate(sample):
        response = app.post(nodes[i % len(nodes)].url, {"grant_type": "refresh_token", "refresh_token": token})
        results.append((response.status_code, response.json().get("error"), *_family_status(token)))
    check(
        "a rotated token replayed after its leeway is invalid_grant and revokes its family",
        results and all(r == (400, "invalid_grant", "REVOKED", "reuse_detected") for r in results),
        f"({len(results)} replays, alternating nodes: {sorted(set(results))})",
    )

    # 2. The same token at both nodes at once, within the leeway: one rotation, one grace use.
    fresh = minter.refresh_tokens(app, 10)
    outcomes = []
    for token in fresh:
        a, b = _both_at_once(nodes, app, token)
        new = {r.json().get("refresh_token") for r in (a, b) if r.status_code == 200}
        outcomes.append((a.status_code, b.status_code, len(new), _family_status(token)[0]))
    check(
        "the same token at both nodes at once within the leeway: both 200, two different new tokens",
        all(o == (200, 200, 2, "ACTIVE") for o in outcomes),
        f"({sorted(set(outcomes))})",
    )

    # 3. The same token at both nodes at once with no leeway: exactly one wins, the family is revoked.
    strict = apps["no_leeway"]
    fresh = minter.refresh_tokens(strict, 20)
    outcomes = []
    for token in fresh:
        a, b = _both_at_once(nodes, strict, token)
        statuses = sorted((a.status_code, b.status_code))
        winner = next((r.json()["refresh_token"] for r in (a, b) if r.status_code == 200), None)
        after = (
            strict.post(nodes[1 % len(nodes)].url, {"grant_type": "refresh_token", "refresh_token": winner}).status_code
            if winner
            else None
        )
        outcomes.append((*statuses, *_family_status(token), after))
    check(
        "the same token at both nodes at once with no leeway: one 200, one invalid_grant, family revoked, "
        "and the winner's new token dead too",
        all(o == (200, 400, "REVOKED", "reuse_detected", 400) for o in outcomes),
        f"({len(outcomes)} pairs: {sorted(set(outcomes), key=str)})",
    )

    # 4. No node-local state: a secret rotation and a deactivation take effect at once on every node.
    confidential = apps["confidential_rotate"]
    token = minter.refresh_tokens(confidential, 1)[0]
    new_secret = rotate_secret(Application.objects.get(client_id=confidential.client_id))
    old = [confidential.post(n.url, {"grant_type": "refresh_token", "refresh_token": token}).status_code for n in nodes]
    confidential.secret = new_secret
    new = [confidential.post(n.url, {"grant_type": "refresh_token", "refresh_token": token}).status_code for n in nodes]
    check(
        "a rotated client secret is refused at once on every node",
        old == [401] * len(nodes) and 200 in new,
        f"(old secret {old}, new secret {new})",
    )
    # The same for client_credentials, whose app every worker has cached (tokens/oauth/client_cache.py).
    service = apps["service"]
    new_secret = rotate_secret(Application.objects.get(client_id=service.client_id))
    old = [service.post(n.url, {"grant_type": "client_credentials"}).status_code for n in nodes]
    service.secret = new_secret
    new = [service.post(n.url, {"grant_type": "client_credentials"}).status_code for n in nodes]
    check(
        "a rotated secret is refused at once on every node for client_credentials",
        old == [401] * len(nodes) and new == [200] * len(nodes),
        f"(old secret {old}, new secret {new})",
    )
    before = [service.post(n.url, {"grant_type": "client_credentials"}).status_code for n in nodes]
    deactivate_app(Application.objects.get(client_id=service.client_id))
    after = [service.post(n.url, {"grant_type": "client_credentials"}).status_code for n in nodes]
    check(
        "a deactivated app is refused at once on every node",
        before == [200] * len(nodes) and after == [401] * len(nodes),
        f"(before {before}, after {after})",
    )
    return {"passed": all(c["passed"] for c in checks), "checks": checks}


# Profiling ------------------------------------------------------------------------------------


PROFILE_RATE = 250  # py-spy samples per second


def profile(node: Server, load: Load, args, stamp: str) -> dict:
    """py-spy on one worker during two ROTATE loads: non-idle samples, then wall clock.

    The first says which code burns the worker's CPU: its shares are scaled to the CPU time /proc
    measured, since py-spy also counts a thread that is runnable but waiting for a core. The second
    adds the time spent waiting for PostgreSQL, which is what a request's latency is made of.
    """
    quiet = argparse.Namespace(**{**vars(args), "warmup": 0})
    out = {}
    for kind, flags in (("cpu", []), ("wall", ["--idle"])):
        worker = node.worker_pids()[0]
        raw = RESULTS / f"{stamp}-profile-{kind}.txt"
        spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(worker), "--format", "raw", *flags]
        spy += ["--duration", str(int(args.duration)), "--rate", str(PROFILE_RATE), "--output", str(raw)]
        spy = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1)  # py-spy attached
        before = cpu_ms([worker])
        row = run_load([node], load, quiet, label=f"{load.name} (py-spy {kind})")
        worker_cpu = cpu_ms([worker]) - before
        spy.wait()
        summary = summarise_profile(raw, row, node.workers, worker_cpu, scale_to_cpu=kind == "cpu")
        out[kind] = summary | {"raw": str(raw.relative_to(ROOT))}
    return out


def _in_request(frame: str) -> bool:
    """The frame that handles one request: gunicorn's sync worker's, or granian's WSGI runner's."""
    return "handle_request" in frame or "_runner (granian/wsgi.py" in frame  # `_callback_wrapper.<locals>._runner`


def summarise_profile(raw: Path, row: dict, workers: int, worker_cpu: float, *, scale_to_cpu: bool) -> dict:
    """Inclusive and self time of the hottest frames within request handling, in ms per request."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    in_request = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(_in_request(f) for f in frames):
            continue  # the worker waiting in accept()/select() between requests
        n = int(count)
        in_request += n
        start = next(i for i, f in enumerate(frames) if _in_request(f))
        seen = set()
        for frame in frames[start:]:
            name = re.sub(r":\d+\)$", ")", frame)  # one entry per function, not per line
            if name not in seen:
                inclusive[name] = inclusive.get(name, 0) + n
                seen.add(name)
        leaf = re.sub(r":\d+\)$", ")", frames[-1])
        own[leaf] = own.get(leaf, 0) + n
    requests_by_worker = row["requests"] / workers  # sync workers share the accept queue evenly
    ms_per_sample = 1000 / PROFILE_RATE
    if scale_to_cpu and in_request:
        ms_per_sample = worker_cpu / in_request  # each non-idle sample is a share of the measured CPU

    def top(table: dict, n: int) -> list[dict]:
        rows = sorted(table.items(), key=lambda kv: -kv[1])[:n]
        return [
            {
                "frame": k,
                "share": round(v / max(in_request, 1), 4),
                "ms_per_req": round(v * ms_per_sample / requests_by_worker, 3),
            }
            for k, v in rows
        ]

    return {
        "samples_in_requests": in_request,
        "sampled_ms_per_req": round(in_request * ms_per_sample / requests_by_worker, 3),
        "worker_cpu_ms_per_req": round(worker_cpu / requests_by_worker, 3),
        "inclusive": top(inclusive, 40),
        "self": top(own, 25),
        "load": row,
    }


# Orchestration ----------------------------------------------------------------------------------


def build_loads(
    apps: dict[str, App], pools: dict[str, Path], codes: Path, access_token: str, dpop: DPoPSigner
) -> list[Load]:
    public, confidential, static = apps["public_rotate"], apps["confidential_rotate"], apps["static"]
    token = {"path": TOKEN_PATH}
    return [
        Load("refresh ROTATE public", "refresh_rotate.lua", token | public.auth(), pools["public_rotate"], True, True),
        Load(
            "refresh ROTATE public DPoP",
            "refresh_dpop.lua",
            token | apps["dpop_rotate"].auth(),
            pools["dpop_rotate"],
            refresh=True,
            consumes=True,
            proofs=dpop,
        ),
        Load(
            "refresh ROTATE Basic",
            "refresh_rotate.lua",
            token | confidential.auth(),
            pools["confidential_rotate"],
            refresh=True,
            consumes=True,
        ),
        Load("refresh STATIC", "refresh_static.lua", token | static.auth(), pools["static"], refresh=True),
        Load(
            "client_credentials",
            "fixed.lua",
            {"path": SERVICE_TOKEN_PATH, "body": "grant_type=client_credentials&scope=api%3Aread"}
            | apps["service"].auth(),
        ),
        Load(
            "code exchange",
            "code_exchange.lua",
            token | {"redirect_uri": quote(REDIRECT_URI, safe="")} | public.auth(),
            codes,
            consumes=True,
        ),
        Load(
            "introspect",
            "fixed.lua",
            {
                "path": "/oauth2/v1/introspect",
                "auth": basic(static.client_id, static.secret),
                "body": f"token={access_token}&token_type_hint=access_token",
            },
        ),
        Load("JWKS", "fixed.lua", {"path": "/oauth2/v1/keys", "method": "GET"}),
    ]


# `--limits`: the same load on servers whose OAuth rate limits (tokens/oauth/limits.py) are off, on with
# the counters in PostgreSQL, or on with the counters in Redis; the other settings are the defaults.
LIMIT_SETTINGS = (
    "ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE",
    "ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE",
    "ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE",
    "ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE",
)


def limits_env(variant: str, redis_url: str) -> dict:
    if variant == "off":
        return dict.fromkeys(LIMIT_SETTINGS, "0") | {"REDIS_URL": ""}
    if variant == "db":
        return {"REDIS_URL": ""}
    if variant == "redis":
        return {"REDIS_URL": redis_url}
    raise SystemExit(f"--limits: unknown variant {variant!r} (off, db, redis)")


def median_of(runs: tuple[dict, ...]) -> dict:
    """One load's row from several rounds: the round with the median req/s, plus every round's
    req/s (`rps_runs`). On a shared machine the spread says more than any single run."""
    by_rate = sorted(runs, key=lambda r: r["rps"])
    row = dict(by_rate[(len(by_rate) - 1) // 2])
    row["rps_runs"] = [r["rps"] for r in runs]
    row["ok"] = all(r["ok"] for r in runs)
    row["non200"] = sum(r["non200"] for r in runs)
    if len(runs) > 1:
        row["rounds"] = list(runs)
    return row


def table(rows: list[dict], ceiling: float) -> str:
    head = f"{'load':<34}{'req/s':>8}{'p50':>8}{'p90':>8}{'p99':>8}{'non200':>7}{'SQL':>6}{'xact':>6}"
    head += f"{'cpu ms':>8}{'db ms':>7}{'ceiling':>9}  runs (req/s)"
    lines = [head, "-" * len(head)]
    for r in rows:
        sql = r.get("sql_per_req")
        frac = f"{r['rps'] / ceiling:.1%}" if r["refresh"] and ceiling else ""
        lines.append(
            f"{r['load']:<34}{r['rps']:>8.0f}{r['p50_ms']:>8.1f}{r['p90_ms']:>8.1f}{r['p99_ms']:>8.1f}"
            f"{r['non200']:>7}{(f'{sql:.1f}' if sql is not None else '-'):>6}{r['xact_per_req']:>6.1f}"
            f"{r['server_cpu_ms_per_req']:>8.2f}{r['db_cpu_ms_per_req']:>7.2f}{frac:>9}"
            + ("  " + " ".join(f"{x:.0f}" for x in r["rps_runs"]) if len(r.get("rps_runs", [])) > 1 else "")
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the defaults that depend on the mode filled in."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["one-node", "two-nodes"], default="one-node")
    parser.add_argument("--workers", type=int, default=3, help="workers per node (default 3; see README)")
    parser.add_argument(
        "--server", default="production", help="HTTP server of the nodes: production (config/serve.py) or gunicorn"
    )
    parser.add_argument(
        "--sweep", default=None, help="worker counts to compare under refresh ROTATE ('' = skip; default 2,3,4)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=None, help="seconds (default 5; 3 with --peer)")
    parser.add_argument("--duration", type=float, default=None, help="seconds (default 20; 12 with --peer)")
    parser.add_argument("--tokens", type=int, default=1000, help="refresh tokens minted per rotating client")
    parser.add_argument("--users", type=int, default=8, help="users signed in through the form (minting threads)")
    parser.add_argument("--quick", action="store_true", help="warm-up 1 s, 5 s measured, 300 tokens, no sweep")
    parser.add_argument("--profile", action="store_true", help="py-spy one worker under refresh ROTATE public")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all loads; the table shows each median")
    parser.add_argument("--only", default="", help="comma-separated load names to run (substring match)")
    parser.add_argument(
        "--limits",
        default="",
        help="compare OAuth rate limits: e.g. 'off,db,redis' runs every load on one server set per variant, "
        "interleaved (the order rotates each round); '' = one server set with the environment's settings",
    )
    parser.add_argument(
        "--servers",
        default="",
        help="compare HTTP servers, interleaved like --limits: e.g. 'gunicorn,granian,granian:no-http1-keep-alive' "
        "(bench/README.md, 'The HTTP server')",
    )
    parser.add_argument(
        "--peer",
        default="",
        choices=["", *peers.PEERS],
        help="run the same loads against this peer too, back to back each round, and print Rotor/peer ratios",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="REDIS_URL of --limits redis")
    parser.add_argument("--database", default="rotor_bench")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URL")
    args = parser.parse_args(argv)
    peer_defaults = args.peer or args.servers
    if args.warmup is None:
        args.warmup = 3 if peer_defaults else 5
    if args.duration is None:
        args.duration = 12 if peer_defaults else 20
    if args.sweep is None:
        args.sweep = "" if peer_defaults else "2,3,4"
    if args.peer and not args.only:
        args.only = ",".join(peers.PEER_PATHS)
    if args.quick:
        args.warmup, args.duration, args.tokens, args.sweep = 1, 5, 300, ""
    if args.limits and args.servers:
        parser.error("--limits and --servers each compare server sets: one at a time")
    return args


def main() -> int:
    args = parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is not installed (make bench installs Debian's wrk package)")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = RESULTS / stamp
    work.mkdir()
    report: dict = {
        "timestamp": stamp,
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "mode": args.mode,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_start": loadavg()},
        "settings": {k: v for k, v in vars(args).items() if k != "postgres"},
    }

    log(f"Fresh database {args.database}; migrate; collectstatic")
    db_url = fresh_database(args.postgres, args.database)
    issuer_port = free_port()
    env = dict(os.environ) | {
        "DATABASE_URL": db_url,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Every node is the same issuer, as behind a load balancer.
        "ROTOR_ISSUER": f"http://127.0.0.1:{issuer_port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    setup_django(env)

    log("RS256 signing rate, one process per core")
    first = signing_rate(3.0)
    log(f"  {first['signatures_per_s']:.0f} signatures/s (measured again at the end; the higher one is used)")

    fixtures = create_fixtures(args.users)
    apps = fixtures["apps"]
    count = 2 if args.mode == "two-nodes" else 1
    nodes = [Server(env, args.workers, name=f"node{i}", spec=args.server) for i in range(count)]
    log(f"{count} node(s) × {args.workers} workers ({args.server}): {', '.join(n.url for n in nodes)}")
    variants = [v.strip() for v in (args.limits or args.servers).split(",") if v.strip()]
    by_variant = {}
    for v in variants:
        if args.limits:
            by_variant[v] = [
                Server(env | limits_env(v, args.redis), args.workers, name=f"limits-{v}{i}", spec=args.server)
                for i in range(count)
            ]
        else:
            tag = re.sub(r"[^\w=-]+", "_", v)
            by_variant[v] = [Server(env, args.workers, name=f"{tag}{i}", spec=v) for i in range(count)]
        log(f"  {'limits' if args.limits else 'server'} {v}: {', '.join(n.url for n in by_variant[v])}")
    peer = None
    if args.peer:
        peer = peers.PeerServer(peers.peer_clients(apps, REDIRECT_URI), work, free_port())
        log(f"Peer {args.peer}: {peer.url} (one Node process, in-memory storage)")
    try:
        minter = Minter(nodes[0].url, fixtures["users"], apps, env["ROTOR_ISSUER"])
        log(f"Minting {args.tokens} refresh tokens for each rotating client and {args.tokens // 5} STATIC")
        pools = {}
        sizes = {"public_rotate": args.tokens, "confidential_rotate": args.tokens, "static": args.tokens // 5}
        sizes["dpop_rotate"] = args.tokens
        for key, n in sizes.items():
            t0 = time.monotonic()
            tokens = minter.refresh_tokens(apps[key], n)
            pools[key] = work / f"{key}.tokens"
            pools[key].write_text("\n".join(tokens) + "\n")
            log(f"  {key}: {n} in {time.monotonic() - t0:.1f} s")
        peer_pools = {}
        if peer is not None:
            for key, name in (
                ("public_rotate", "refresh ROTATE public"),
                ("confidential_rotate", "refresh ROTATE Basic"),
            ):
                t0 = time.monotonic()
                tokens = peers.peer_refresh_tokens(peer.url, apps[key], args.tokens, REDIRECT_URI, SCOPE, pkce_pair)
                peer_pools[name] = work / f"peer-{key}.tokens"
                peer_pools[name].write_text("\n".join(tokens) + "\n")
                log(f"  peer {key}: {args.tokens} through its code flow in {time.monotonic() - t0:.1f} s")
        initial_public = pools["public_rotate"].read_text().split()
        # An access token of the STATIC web app, for introspection by that app.
        first_static = pools["static"].read_text().split()[0]
        access = apps["static"].post(nodes[0].url, {"grant_type": "refresh_token", "refresh_token": first_static})
        introspect_body = {"token": access.json()["access_token"], "token_type_hint": "access_token"}

        loads = build_loads(apps, pools, work / "codes.txt", introspect_body["token"], minter.dpop)
        if args.only:
            wanted = [w.strip() for w in args.only.split(",")]
            loads = [ld for ld in loads if any(w in ld.name for w in wanted)]
        for_peer = peers.peer_loads(loads, peer_pools) if peer is not None else {}
        peer_rounds: dict[str, list[dict]] = {name: [] for name in for_peer}
        rotor_rounds: dict[str, list[dict]] = {name: [] for name in for_peer}

        rounds: list[list[dict]] = []
        log(f"Loads: wrk -t1 -c{args.connections}, {args.warmup:g} s warm-up + {args.duration:g} s measured")
        for i in range(args.repeat):
            if args.repeat > 1:
                log(f"Round {i + 1} of {args.repeat}")
            rows = []
            for load in loads:
                if load.name == "code exchange":
                    # Codes live 300 s: mint just enough right before, from the best refresh rate seen.
                    best = max([r["rps"] for r in rows if r["refresh"]] or [300])
                    n = (int(best * 1.5 * (args.warmup + args.duration)) + 200) * max(1, len(variants))
                    t0 = time.monotonic()
                    load.pool.write_text("\n".join(minter.codes(apps["public_rotate"], n)) + "\n")
                    log(f"  minted {n} codes in {time.monotonic() - t0:.1f} s")
                if load.name in for_peer:
                    # Back to back, the order swapping each round, so drift hits both sides alike.
                    pair = [("rotor", lambda ld=load: run_load(nodes, ld, args))]
                    pair.append(("peer", lambda ld=load: run_load([peer], for_peer[ld.name], args)))
                    for side, go in pair if i % 2 == 0 else pair[::-1]:
                        result = go()
                        (rotor_rounds if side == "rotor" else peer_rounds)[load.name].append(result)
                        if side == "rotor":
                            rows.append(result)
                    continue
                if not variants:
                    rows.append(run_load(nodes, load, args))
                    continue
                shift = i % len(variants)
                done = {}
                kind = "limits" if args.limits else "server"
                for v in variants[shift:] + variants[:shift]:
                    done[v] = run_load(by_variant[v], load, args, label=f"{load.name} [{kind} {v}]")
                rows += [done[v] for v in variants]
            rounds.append(rows)
        rotated_until = next((r["ended"] for r in rows if r["load"] == "refresh ROTATE public"), time.monotonic())
        rows = [median_of(runs) for runs in zip(*rounds, strict=True)]

        if args.mode == "one-node" and args.sweep:
            log("Worker sweep under refresh ROTATE public")
            sweep = []
            for workers in [int(w) for w in args.sweep.split(",")]:
                node = Server(env, workers, name=f"sweep{workers}", spec=args.server)
                try:
                    row = run_load([node], loads[0], args, label=f"refresh ROTATE public, {workers} workers")
                    sweep.append(row)
                finally:
                    node.stop()
            report["worker_sweep"] = sweep

        if args.profile:
            log("Profiling one worker under refresh ROTATE public")
            report["profile"] = profile(nodes[0], loads[0], args, stamp)

        log("SQL statements per request (a separate 1-worker server with ROTOR_COUNT_QUERIES=1)")
        samples = {
            "public_rotate": minter.refresh_tokens(apps["public_rotate"], 10),
            "confidential_rotate": minter.refresh_tokens(apps["confidential_rotate"], 10),
            "dpop_rotate": minter.refresh_tokens(apps["dpop_rotate"], 10),
            "dpop": minter.dpop,
            "static": pools["static"].read_text().split()[:10],
            "codes": minter.codes(apps["public_rotate"], 10),
        }
        counter = Server(
            env | {"ROTOR_COUNT_QUERIES": "1"}, 1, wsgi="bench.wsgi:application", name="counting", spec=args.server
        )
        try:
            report["sql_per_request"] = count_queries(counter.url, apps, samples, introspect_body)
        finally:
            counter.stop()
        for r in rows:
            r["sql_per_req"] = report["sql_per_request"].get(r["load"], {}).get("mean")

        if args.mode == "two-nodes":
            log("Race checks across both nodes")
            report["race_checks"] = race_checks(nodes, apps, minter, initial_public, rotated_until)
    finally:
        for node in nodes + [n for group in by_variant.values() for n in group] + ([peer] if peer else []):
            node.stop()

    log("RS256 signing rate again")
    again = signing_rate(3.0)
    report["signing"] = {"start": first, "end": again} | max(first, again, key=lambda r: r["signatures_per_s"])
    sign = report["signing"]
    ceiling = sign["refresh_ceiling_per_s"]
    for r in rows:
        r["ceiling_fraction"] = round(r["rps"] / ceiling, 4) if r["refresh"] else None
    peer_runs = [x for runs in peer_rounds.values() for x in runs]
    for r in rows + report.get("worker_sweep", []) + [x for row in rows for x in row.get("rounds", [])] + peer_runs:
        r.pop("ended", None)
    report["loads"] = rows
    if peer is not None:
        report["peer"] = {
            "name": args.peer,
            "ratios": peers.ratio_rows(rotor_rounds, peer_rounds, ceiling),
            "rounds": peer_rounds,
        }
    report["machine"]["loadavg_end"] = loadavg()
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print()
    print(table(rows, ceiling))
    if variants:
        what = "OAuth rate limits (tokens/oauth/limits.py)" if args.limits else "HTTP servers"
        print(f"\n{what}, same loads, interleaved:")
        for r in rows:
            rounds = r.get("rounds", [r])
            print(
                f"  {r['load']:<52} {r['rps']:>7.0f} req/s  p99 {r['p99_ms']:>6.1f} ms  "
                f"worker {r['server_cpu_ms_per_req']:.2f}  PostgreSQL {r['db_cpu_ms_per_req']:.2f}  "
                f"Redis {r['redis_cpu_ms_per_req']:.2f} ms/req  non-200 {r['non200']}"
                + ("  runs " + " ".join(f"{x:.0f}" for x in r["rps_runs"]) if len(r.get("rps_runs", [])) > 1 else "")
                + ("  p99s " + " ".join(f"{x['p99_ms']:.1f}" for x in rounds) if len(rounds) > 1 else "")
                + ("  by worker " + " ".join("/".join(map(str, x["requests_by_worker"][0])) for x in rounds))
            )
    if peer is not None:
        print()
        print(peers.ratio_table(report["peer"]["ratios"], args.peer))
    if report.get("worker_sweep"):
        print("\nWorker sweep (refresh ROTATE public):")
        for r in report["worker_sweep"]:
            print(
                f"  {r['workers_per_node']} workers: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, "
                f"cpu {r['server_cpu_ms_per_req']:.2f} ms/req, non-200 {r['non200']}"
            )
    for kind, p in report.get("profile", {}).items():
        print(
            f"\nProfile ({kind}) of one worker: {p['sampled_ms_per_req']:.2f} ms sampled per request; "
            f"worker CPU {p['worker_cpu_ms_per_req']:.2f} ms/req. Inclusive, then self:"
        )
        for r in p["inclusive"][:30]:
            print(f"  {r['ms_per_req']:>7.3f} ms {r['share']:>6.1%}  {r['frame']}")
        print("  --")
        for r in p["self"][:12]:
            print(f"  {r['ms_per_req']:>7.3f} ms {r['share']:>6.1%}  {r['frame']}")
    machine = report["machine"]
    print(
        f"\nRS256: {sign['signatures_per_s']:.0f} signatures/s on {sign['processes']} cores; refresh ceiling "
        f"{ceiling:.0f}/s. Load average {machine['loadavg_start']} → {machine['loadavg_end']}"
    )
    if "race_checks" in report:
        print(f"Race checks: {'all passed' if report['race_checks']['passed'] else 'FAILED'}")
    print(f"JSON: {path.relative_to(ROOT)}")
    failed = [r["load"] for r in rows if not r["ok"]]
    if failed:
        print(f"Loads with errors: {', '.join(failed)}")
    peer_failed = sorted({r["load"] for r in peer_runs if not r["ok"]})
    if peer_failed:
        print(f"Peer loads with errors (their ratios are not comparable): {', '.join(peer_failed)}")
    return 1 if failed or not report.get("race_checks", {"passed": True})["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
