"""`make bench PEER=node-oidc-provider`: the peer's configuration and the Rotor/peer ratio table
(bench/peers.py). Nothing here is timed; the loads themselves run under `make bench`."""

import json
import subprocess
from pathlib import Path

import pytest

from bench.peers import PEER_DIR, PEER_PATHS, peer_clients, peer_loads, ratio_rows, ratio_table
from bench.run import REDIRECT_URI, App, DPoPSigner, Load, basic, build_loads, parse_args

APPS = {
    "public_rotate": App("public_rotate", "0oaPublic", None, 30),
    "confidential_rotate": App("confidential_rotate", "0oaConfidential", "s3cret/with+odd=chars", 30),
    "static": App("static", "0oaStatic", "static-secret", 30),
    "service": App("service", "0oaService", "service-secret", 30),
    "dpop_rotate": App("dpop_rotate", "0oaDPoP", None, 30),
}


def test_peer_run_defaults_to_the_four_shared_loads_without_a_sweep():
    args = parse_args(["--peer", "node-oidc-provider", "--repeat", "3"])
    assert args.only.split(",") == ["refresh ROTATE public", "refresh ROTATE Basic", "client_credentials", "JWKS"]
    assert args.sweep == "" and (args.warmup, args.duration) == (3, 12) and args.repeat == 3
    # Without a peer, `make bench` is what it was.
    plain = parse_args([])
    assert (plain.only, plain.sweep, plain.warmup, plain.duration) == ("", "2,3,4", 5, 20)
    with pytest.raises(SystemExit):
        parse_args(["--peer", "keycloak"])


def test_peer_gets_rotors_clients_with_the_same_ids_secrets_and_auth_methods():
    clients = {c["client_id"]: c for c in json.loads(json.dumps(peer_clients(APPS, REDIRECT_URI)))}
    assert set(clients) == {"0oaPublic", "0oaConfidential", "0oaService"}
    public, confidential, service = clients["0oaPublic"], clients["0oaConfidential"], clients["0oaService"]
    assert public["token_endpoint_auth_method"] == "none" and "client_secret" not in public
    assert confidential["token_endpoint_auth_method"] == "client_secret_basic"
    assert confidential["client_secret"] == "s3cret/with+odd=chars"
    for client in (public, confidential):
        assert client["grant_types"] == ["authorization_code", "refresh_token"]
        assert client["redirect_uris"] == [REDIRECT_URI]
    assert service["grant_types"] == ["client_credentials"] and service["client_secret"] == "service-secret"


def test_peer_loads_send_rotors_requests_to_the_peers_paths_with_its_own_tokens(tmp_path):
    pools = {
        key: tmp_path / f"{key}.tokens" for key in ("public_rotate", "confidential_rotate", "static", "dpop_rotate")
    }
    signer = DPoPSigner("http://127.0.0.1:8000", "http://127.0.0.1:8000")
    loads = build_loads(APPS, pools, tmp_path / "codes.txt", "an-access-token", signer)
    peer_pools = {"refresh ROTATE public": tmp_path / "peer-public", "refresh ROTATE Basic": tmp_path / "peer-basic"}
    for_peer = peer_loads(loads, peer_pools)
    assert list(for_peer) == list(PEER_PATHS)
    rotor = {ld.name: ld for ld in loads}
    basic_load = for_peer["refresh ROTATE Basic"]
    assert basic_load.options["path"] == "/token" and basic_load.pool == tmp_path / "peer-basic"
    assert basic_load.options["auth"] == basic("0oaConfidential", "s3cret/with+odd=chars")
    assert rotor["refresh ROTATE Basic"].options["path"] == "/oauth2/v1/token"  # Rotor's own load is untouched
    assert for_peer["refresh ROTATE public"].options["client_id"] == "0oaPublic"
    assert for_peer["client_credentials"].options["body"] == rotor["client_credentials"].options["body"]
    assert for_peer["client_credentials"].pool is None
    assert (for_peer["JWKS"].options["path"], for_peer["JWKS"].options["method"]) == ("/jwks", "GET")
    assert for_peer["refresh ROTATE public"].refresh and not for_peer["JWKS"].refresh


def _run(rps: float, p99: float, *, refresh: bool, non200: int = 0) -> dict:
    return {"rps": rps, "p99_ms": p99, "non200": non200, "socket_errors": 0, "missing_token": 0, "refresh": refresh}


def test_ratio_table_takes_each_rounds_pair_from_both_sides():
    rotor = {
        "refresh ROTATE public": [
            _run(600, 30, refresh=True),
            _run(400, 45, refresh=True),
            _run(700, 28, refresh=True),
        ],
        "JWKS": [_run(4000, 9, refresh=False), _run(3000, 12, refresh=False), _run(5000, 8, refresh=False)],
        "refresh STATIC": [_run(900, 20, refresh=True)] * 3,  # the peer never ran it: no ratio
    }
    peer = {
        "refresh ROTATE public": [
            _run(800, 20, refresh=True),
            _run(800, 25, refresh=True),
            _run(700, 22, refresh=True, non200=2),
        ],
        "JWKS": [_run(16000, 3, refresh=False), _run(10000, 4, refresh=False), _run(10000, 5, refresh=False)],
    }
    rows = {r["load"]: r for r in ratio_rows(rotor, peer, ceiling=2000)}
    assert set(rows) == {"refresh ROTATE public", "JWKS"}
    refresh = rows["refresh ROTATE public"]
    assert refresh["ratio_runs"] == [0.75, 0.5, 1.0]  # round by round, not median over median
    assert (refresh["ratio"], refresh["ratio_min"], refresh["ratio_max"]) == (0.75, 0.5, 1.0)
    assert refresh["rotor"]["rps"] == 600 and refresh["peer"]["rps"] == 800
    assert refresh["rotor"]["p99_ms"] == 45 and refresh["peer"]["p99_ms"] == 25  # the worst round
    assert refresh["rotor"]["errors"] == 0 and refresh["peer"]["errors"] == 2
    assert refresh["rotor"]["ceiling_fraction"] == 0.3 and refresh["peer"]["ceiling_fraction"] == 0.4
    jwks = rows["JWKS"]
    assert jwks["ratio_runs"] == [0.25, 0.3, 0.5] and jwks["ratio"] == 0.3
    assert jwks["rotor"]["ceiling_fraction"] is None
    text = ratio_table(list(rows.values()), "node-oidc-provider")
    line = next(row for row in text.splitlines() if row.startswith("refresh ROTATE public"))
    assert "0.75×" in line and "0.50–1.00" in line and "30.0%" in line and "40.0%" in line


def test_a_load_is_a_dataclass_the_peer_copies_without_touching_rotors():
    load = Load("JWKS", "fixed.lua", {"path": "/oauth2/v1/keys", "method": "GET"})
    assert peer_loads([load], {})["JWKS"].options["path"] == "/jwks" and load.options["path"] == "/oauth2/v1/keys"


def test_the_peers_server_script_parses_and_its_lockfile_pins_node_oidc_provider_9():
    subprocess.run(["node", "--check", str(PEER_DIR / "server.mjs")], check=True, capture_output=True)
    lock = json.loads((PEER_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/oidc-provider"]["version"].startswith("9.")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(PEER_DIR / "node_modules" / "oidc-provider")], cwd=Path(PEER_DIR)
    )
    assert ignored.returncode == 0  # npm's folder is never committed


def test_server_specs_become_command_lines():
    from bench.run import server_command

    command = server_command("granian:blocking-threads=1:no-http1-keep-alive", "config.wsgi", 9999, 3)
    assert command[0].endswith("granian") and command[-1] == "config.wsgi:application"
    assert command[command.index("--workers") + 1] == "3" and command[command.index("--port") + 1] == "9999"
    assert command[command.index("--blocking-threads") + 1] == "1" and "--no-http1-keep-alive" in command
    gunicorn = server_command("gunicorn:threads=4", "bench.wsgi:application", 9999, 2)
    assert "config/gunicorn.py" in gunicorn and gunicorn[gunicorn.index("--threads") + 1] == "4"
    with pytest.raises(SystemExit):
        server_command("uwsgi", "config.wsgi", 9999, 2)
