"""`make bench PEER=node-oidc-provider`: another authorization server under the same loads as Rotor.

The peer (bench/peer/server.mjs, node-oidc-provider 9 from npm in the git-ignored
bench/peer/node_modules) gets the same clients as Rotor (same ids and secrets), so the loads' request
bodies and Basic headers are Rotor's; only the paths and the token pools differ. Its refresh tokens
come from its own authorization-code flow with PKCE, driven over HTTP. bench/README.md ("A peer")
explains the configuration and the table.
"""

import json
import os
import secrets
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

PEER_DIR = Path(__file__).resolve().parent / "peer"
PEERS = ("node-oidc-provider",)
# The loads both servers face: Rotor's load name -> the peer's path for it.
PEER_PATHS = {
    "refresh ROTATE public": "/token",
    "refresh ROTATE Basic": "/token",
    "client_credentials": "/token",
    "JWKS": "/jwks",
}


def peer_clients(apps: dict, redirect_uri: str) -> list[dict]:
    """The peer's client registrations, from Rotor's bench apps (bench/run.py's create_fixtures)."""
    code_flow = {"redirect_uris": [redirect_uri], "grant_types": ["authorization_code", "refresh_token"]}
    public, confidential, service = apps["public_rotate"], apps["confidential_rotate"], apps["service"]
    return [
        {"client_id": public.client_id, "token_endpoint_auth_method": "none", "response_types": ["code"]} | code_flow,
        {
            "client_id": confidential.client_id,
            "client_secret": confidential.secret,
            "token_endpoint_auth_method": "client_secret_basic",
            "response_types": ["code"],
        }
        | code_flow,
        {
            "client_id": service.client_id,
            "client_secret": service.secret,
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
        },
    ]


class PeerServer:
    """node-oidc-provider in one Node process (its in-memory storage cannot be shared between processes)."""

    spec = "node-oidc-provider"
    workers = 1

    def __init__(self, clients: list[dict], work: Path, port: int):
        if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
            raise SystemExit("node-oidc-provider is not installed: `make bench PEER=node-oidc-provider` runs npm ci")
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = work / "peer-clients.json"
        config.write_text(json.dumps(clients, indent=2))
        self.log_path = work / f"peer-{port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["node", "server.mjs", "--port", str(port), "--clients", str(config)],
            cwd=PEER_DIR, env=dict(os.environ, NODE_ENV="production"),
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the peer exited early; see {self.log_path}")
            try:
                if requests.get(f"{self.url}/jwks", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the peer did not answer within 30 s; see {self.log_path}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return [self.proc.pid]

    def pids(self) -> list[int]:
        return [self.proc.pid]

    def requests_by_worker(self) -> dict[int, int]:
        return {}  # one process

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def peer_refresh_token(base: str, app, redirect_uri: str, scope: str, pkce_pair) -> str:
    """One refresh token through the peer's authorization-code flow: /auth, its automatic interaction
    (server.mjs), back to /auth, the code at the redirect URI, then /token with the PKCE verifier."""
    verifier, challenge = pkce_pair()
    browser = requests.Session()
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "prompt": "consent",  # the library drops offline_access without it (OIDC Core 11)
        "state": "bench",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = browser.get(f"{base}/auth", params=params, allow_redirects=False, timeout=30)
    for _ in range(6):
        location = response.headers.get("Location", "")
        if location.startswith(redirect_uri):
            break
        if response.status_code not in (302, 303):
            raise RuntimeError(f"peer authorization gave {response.status_code}: {response.text[:200]}")
        response = browser.get(urljoin(base, location), allow_redirects=False, timeout=30)
    else:
        raise RuntimeError("peer authorization did not come back to the redirect URI")
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    if app.secret:
        token = requests.post(f"{base}/token", data=data, auth=(app.client_id, app.secret), timeout=30)
    else:
        token = requests.post(f"{base}/token", data=data | {"client_id": app.client_id}, timeout=30)
    if token.status_code != 200 or "refresh_token" not in token.json():
        raise RuntimeError(f"peer code exchange gave {token.status_code}: {token.text[:200]}")
    return token.json()["refresh_token"]


def peer_refresh_tokens(base: str, app, count: int, redirect_uri: str, scope: str, pkce_pair) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: peer_refresh_token(base, app, redirect_uri, scope, pkce_pair), range(count)))


def peer_loads(loads: list, pools: dict[str, Path]) -> dict:
    """The peer's version of each shared load: its path, and its own token pool for the refresh loads."""
    out = {}
    for load in loads:
        if load.name not in PEER_PATHS:
            continue
        options = dict(load.options) | {"path": PEER_PATHS[load.name]}
        pool = pools.get(load.name)
        out[load.name] = replace(load, name=f"{load.name} [peer]", options=options, pool=pool)
    return out


def ratio_rows(rotor_rounds: dict[str, list[dict]], peer_rounds: dict[str, list[dict]], ceiling: float) -> list[dict]:
    """For each load both ran: Rotor/peer req/s round by round (each round's pair ran back to back),
    their median and range, each side's median req/s, worst p99, errors and share of the ceiling."""
    rows = []
    for name, ours in rotor_rounds.items():
        theirs = peer_rounds.get(name)
        if not theirs:
            continue
        ratios = [a["rps"] / b["rps"] if b["rps"] else float("inf") for a, b in zip(ours, theirs, strict=True)]

        def side(runs: list[dict], refresh: bool = ours[0]["refresh"]) -> dict:
            rps = statistics.median(r["rps"] for r in runs)
            errors = sum(r["non200"] + r.get("socket_errors", 0) + r.get("missing_token", 0) for r in runs)
            return {
                "rps": rps,
                "rps_runs": [r["rps"] for r in runs],
                "p99_ms": max(r["p99_ms"] for r in runs),
                "errors": errors,
                "ceiling_fraction": round(rps / ceiling, 4) if refresh and ceiling else None,
            }

        rows.append(
            {
                "load": name,
                "ratio": round(statistics.median(ratios), 3),
                "ratio_min": round(min(ratios), 3),
                "ratio_max": round(max(ratios), 3),
                "ratio_runs": [round(r, 3) for r in ratios],
                "rotor": side(ours),
                "peer": side(theirs),
            }
        )
    return rows


def ratio_table(rows: list[dict], peer: str) -> str:
    head = (
        f"{'load':<24}{'Rotor/peer':>11}{'range':>14}{'Rotor/s':>9}{'peer/s':>9}"
        f"{'p99 R':>8}{'p99 P':>8}{'err R':>7}{'err P':>7}{'ceil R':>8}{'ceil P':>8}"
    )
    lines = [f"Rotor against {peer}, same loads, back to back in each round:", head, "-" * len(head)]
    for r in rows:
        ours, theirs = r["rotor"], r["peer"]

        def share(x):
            return f"{x:.1%}" if x is not None else ""

        spread = f"{r['ratio_min']:.2f}–{r['ratio_max']:.2f}"
        lines.append(
            f"{r['load']:<24}{r['ratio']:>10.2f}×{spread:>14}"
            f"{ours['rps']:>9.0f}{theirs['rps']:>9.0f}{ours['p99_ms']:>8.1f}{theirs['p99_ms']:>8.1f}"
            f"{ours['errors']:>7}{theirs['errors']:>7}{share(ours['ceiling_fraction']):>8}"
            f"{share(theirs['ceiling_fraction']):>8}"
        )
    return "\n".join(lines)
