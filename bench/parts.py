"""The CPU cost of each part of a ROTATE refresh, measured in-process with time.process_time().

CPU time of this one process is far less disturbed by other work on the machine than requests/s,
so this is the figure to compare before and after a change to the hot path. PostgreSQL's own CPU
is not in it (see `make bench`'s "db ms"). The last rows are what-ifs: the same work in raw SQL,
one statement for the whole rotation, to show what the ORM costs.

    .venv/bin/python bench/parts.py [--requests 300] [--database rotor_bench_parts]
"""

import argparse
import base64
import io
import json
import os
import secrets
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One statement for a rotation, in autocommit: the conditional UPDATE on the presented token's own
# row (so a concurrent rotation still loses), the new token and the grant's one event row.
ROTATE_SQL = """
WITH rotated AS (
  UPDATE tokens_refreshtoken SET rotated_at = %(now)s, last_used = %(now)s
  WHERE id = %(id)s AND rotated_at IS NULL RETURNING family_id
), issued AS (
  INSERT INTO tokens_refreshtoken (token_hash, family_id, created, last_used, origin)
  SELECT %(hash)s, family_id, %(now)s, %(now)s, 'rotation' FROM rotated RETURNING family_id
), logged AS (
  INSERT INTO tokens_event (uuid, published, event_type, severity, display_message, outcome_result,
                            outcome_reason, actor, client_info, targets, debug_data, app_id, user_id, family_id,
                            issued)
  SELECT gen_random_uuid(), %(now)s, 'app.oauth2.token.grant', 'INFO', 'Tokens granted by refresh', 'SUCCESS', '',
         %(actor)s, '{}'::jsonb, %(targets)s, %(debug)s, %(app)s, %(user)s, %(fam)s,
         'access_token id_token refresh_token'
  FROM issued
  RETURNING 1
)
SELECT count(*) FROM issued
"""
FIND_SQL = """
SELECT r.id, r.rotated_at, r.last_used, f.id, f.public_id, f.status, f.expires_at, f.idle_minutes, f.scopes,
       f.auth_time, u.id, u.uid, u.username, u.is_active, a.id, a.public_id, a.client_id, a.client_secret, a.status,
       a.rotation_type, a.leeway
FROM tokens_refreshtoken r
JOIN tokens_tokenfamily f ON f.id = r.family_id
JOIN accounts_user u ON u.id = f.user_id
JOIN clients_application a ON a.id = f.client_id
WHERE r.token_hash = %s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="calls per part")
    parser.add_argument("--database", default="rotor_bench_parts")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URL")
    args = parser.parse_args()

    from bench.run import fresh_database

    os.environ.update(
        DATABASE_URL=fresh_database(args.postgres, args.database),
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    import django

    django.setup()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from django.core.management import call_command
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.utils import timezone

    from accounts.services import create_user
    from clients.services import create_app
    from core.crypto import hash_token, new_token
    from core.systemlog.audit import SYSTEM
    from tokens.lifecycle import families as lifecycle
    from tokens.lifecycle.events import save_events
    from tokens.oauth import limits, minting
    from tokens.oauth import token as grants
    from tokens.servers import keys
    from tokens.servers.registry import get_server

    call_command("migrate", verbosity=0)
    n = args.requests
    user = create_user(
        username="parts@example.com", email="parts@example.com", first_name="P", last_name="Q", password="p4rts pw 123"
    )
    code_flow = {"grant_types": ["authorization_code", "refresh_token"], "redirect_uris": ["http://127.0.0.1/cb"]}
    public, _ = create_app(
        {"label": "parts public", "application_type": "browser", "rotation_type": "ROTATE"} | code_flow
    )
    web = {"label": "parts web", "application_type": "web", "rotation_type": "ROTATE"}
    confidential, secret = create_app(web | code_flow)
    server = get_server("org")
    scopes = ["openid", "offline_access"]
    keys.signing_key(server.id)

    def tokens(app, count):
        return [
            lifecycle.start_family(
                client=app,
                user=user,
                server=server,
                scopes=scopes,
                auth_time=timezone.now(),
                grant_type="authorization_code",
            )[1]
            for _ in range(count)
        ]

    rows = []

    def timed(label, fn, items):
        fn(items[0])  # first call outside the timing: imports, caches
        items = items[1:]
        cpu, wall = time.process_time(), time.perf_counter()
        for item in items:
            fn(item)
        cpu = (time.process_time() - cpu) * 1000 / len(items)
        wall = (time.perf_counter() - wall) * 1000 / len(items)
        rows.append({"part": label, "cpu_ms": round(cpu, 3), "wall_ms": round(wall, 3)})
        print(f"{label:<62} cpu {cpu:6.3f} ms   wall {wall:6.3f} ms", flush=True)

    form = "application/x-www-form-urlencoded"
    client = Client()

    def http_public(token):
        body = f"grant_type=refresh_token&refresh_token={token}&client_id={public.client_id}"
        assert client.post("/oauth2/v1/token", body, content_type=form).status_code == 200

    basic = "Basic " + base64.b64encode(f"{confidential.client_id}:{secret}".encode()).decode()

    def http_basic(token):
        body = f"grant_type=refresh_token&refresh_token={token}"
        assert client.post("/oauth2/v1/token", body, content_type=form, HTTP_AUTHORIZATION=basic).status_code == 200

    def token_response(token):
        params = QueryDict(mutable=True)
        params.update({"grant_type": "refresh_token", "refresh_token": token, "client_id": public.client_id})
        grants.token_response(server, params, "", SYSTEM)

    def find_and_refresh(token):
        row = lifecycle.find_token(token)
        lifecycle.refresh(row=row, presented=token, client=public, server=server, requested_scopes=None)

    family = lifecycle.find_token(tokens(public, 1)[0]).family
    grant_rows = lambda: lifecycle._grant_events(server, family, scopes, new_refresh=True, audit=SYSTEM)  # noqa: E731
    key = keys.signing_key(server.id).private_key
    many = list(range(n))

    timed("POST /token, public client (test Client, all middleware)", http_public, tokens(public, n))

    # The same refresh of a DPoP-bound family, a fresh ES256 proof in each request (signed ahead, untimed).
    from tests.kit.dpop import DPoPKey
    from tokens.oauth import dpop

    bound_key = DPoPKey("ES256")
    bound_app, _ = create_app(
        {"label": "parts dpop", "application_type": "browser", "rotation_type": "ROTATE"} | code_flow
    )

    def bound_tokens(count):
        return [
            lifecycle.start_family(
                client=bound_app,
                user=user,
                server=server,
                scopes=scopes,
                auth_time=timezone.now(),
                grant_type="authorization_code",
                dpop_jkt=bound_key.jkt,
            )[1]
            for _ in range(count)
        ]

    def http_dpop(item):
        token, proof = item
        body = f"grant_type=refresh_token&refresh_token={token}&client_id={bound_app.client_id}"
        response = client.post("/oauth2/v1/token", body, content_type=form, HTTP_DPOP=proof)
        assert response.status_code == 200, response.content

    htu = server.endpoint("token")
    signed = [bound_key.proof(htu, nonce=dpop.current_nonce()) for _ in range(n)]
    timed(
        "POST /token, public client, DPoP-bound (ES256 proof)",
        http_dpop,
        list(zip(bound_tokens(n), signed, strict=True)),
    )
    timed("POST /token, client_secret_basic", http_basic, tokens(confidential, n))
    # What the servers run: config/wsgi.py, whose machine handler serves /token with MACHINE_MIDDLEWARE only.
    # The test Client above runs the whole MIDDLEWARE (sessions, CSRF, django-csp...), which /token never gets.
    from config.wsgi import application

    def wsgi_public(token):
        body = f"grant_type=refresh_token&refresh_token={token}&client_id={public.client_id}".encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/oauth2/v1/token",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": form,
            "REMOTE_ADDR": "127.0.0.1",
        }
        status = []
        result = application(environ, lambda line, headers, exc_info=None: status.append(line))
        b"".join(result)
        result.close()
        assert status[0].startswith("200"), status

    timed("POST /token, public client (config.wsgi: the machine handler)", wsgi_public, tokens(public, n))
    # The same request with no statement and no signature: what Django, the two middleware, DRF and
    # tokens/ops.py cost around the view (the rate limits off, token_response a canned body).
    canned = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a" * 700, "id_token": "i" * 800}
    with (
        mock.patch.object(grants, "token_response", lambda *args, **kwargs: dict(canned)),
        mock.patch.object(limits, "enabled", lambda: False),
    ):
        timed("POST /token, machine handler, view stubbed (no SQL, signing)", wsgi_public, many)
    timed("grants.token_response (no HTTP, middleware, DRF)", token_response, tokens(public, n))
    timed("lifecycle.find_token", lifecycle.find_token, tokens(public, n))
    timed("lifecycle.find_token + lifecycle.refresh", find_and_refresh, tokens(public, n))
    # Through the database path, as the token endpoint saves them (before the restructuring: events.save_all).
    timed("events.save_events of the grant's event row", lambda _: save_events(grant_rows()), many)
    timed(
        "minting.issue: access token + ID token",
        lambda _: minting.issue(
            server, public, user=user, granted=scopes, family=family, refresh_token="x", auth_time=1
        ),
        many,
    )
    timed(
        "minting.mint_access_token",
        lambda _: minting.mint_access_token(
            server, client_id=public.client_id, scopes=scopes, user=user, family_id=family.public_id
        ),
        many,
    )
    timed(
        "one RSA-2048 PKCS#1 v1.5 signature", lambda _: key.sign(b"x" * 600, padding.PKCS1v15(), hashes.SHA256()), many
    )

    # DPoP (tokens/oauth/dpop.py): what a proof adds to a refresh, by itself and with every check.
    import jwt as pyjwt

    for alg in ("ES256", "EdDSA", "RS256"):
        dpop_key = DPoPKey(alg)
        public_key = pyjwt.PyJWK(dpop_key.public_jwk, algorithm=alg).key
        proofs = [dpop_key.proof(htu, nonce=dpop.current_nonce()) for _ in range(n)]
        timed(
            f"DPoP: one {alg} proof signature verify (PyJWT decode)",
            lambda p, k=public_key, a=alg: pyjwt.decode(p, k, algorithms=[a], options={"verify_iat": False}),
            proofs,
        )
    dpop_key = DPoPKey("ES256")
    proofs = [dpop_key.proof(htu, nonce=dpop.current_nonce()) for _ in range(n)]
    first_use = dpop.replay.first_use
    dpop.replay.first_use = lambda *args, **kwargs: True
    try:
        timed(
            "DPoP: dpop.verify, every check (ES256) but the jti",
            lambda p: dpop.verify(p, method="POST", url=htu, require_nonce=True),
            [dpop_key.proof(htu, nonce=dpop.current_nonce()) for _ in range(n)],
        )
    finally:
        dpop.replay.first_use = first_use
    timed(
        "DPoP: dpop.verify, every check (ES256) + the jti INSERT",
        lambda p: dpop.verify(p, method="POST", url=htu, require_nonce=True),
        proofs,
    )

    def raw_find(token):
        with connection.cursor() as cursor:
            cursor.execute(FIND_SQL, [hash_token(token)])
            return cursor.fetchone()

    def raw_rotate(token):
        row = raw_find(token)
        params = {
            "now": timezone.now(),
            "id": row[0],
            "hash": hash_token(new_token()),
            "actor": json.dumps({"id": row[15], "type": "PublicClientApp"}),
            "targets": json.dumps([{"id": row[11], "type": "User"}, {"id": row[4], "type": "TokenFamily"}]),
            "debug": json.dumps({"grantType": "refresh_token", "scopes": " ".join(scopes)}),
            "app": row[15],
            "user": row[11],
            "fam": row[4],
        }
        with connection.cursor() as cursor:
            cursor.execute(ROTATE_SQL, params)
            assert cursor.fetchone()[0] == 1

    timed("what-if: find_token as raw SQL (same joins, no model objects)", raw_find, tokens(public, n))
    timed("what-if: raw find + one statement for rotation and events", raw_rotate, tokens(public, n))

    out = ROOT / "bench" / "results" / f"parts-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"requests": n, "loadavg": os.getloadavg(), "parts": rows}, indent=2))
    print(f"JSON: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
