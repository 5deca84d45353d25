"""PostgreSQL's CPU, rows and index entries per ROTATE refresh, against a system log of realistic size.

Runs refreshes of a public client through the token endpoint in this process (Django's test Client, DEBUG off,
so the hot path binds server-side and its statements stay prepared, as in production) and reads:

- PostgreSQL CPU: utime + stime of this connection's backend (`/proc/<pg_backend_pid()>/stat`), before and after
  the measured refreshes, divided by their number: the lookup and the rotation statement, nothing else;
- rows written per refresh, per table (counted by id after the run);
- index entries written per refresh: for each index of those tables, the new rows that satisfy its predicate
  (a partial index holds only those).

The event table is filled first with `--events` rows in the form the code under test writes (its own grant
rows, repeated with fresh uuids, times, apps, users and families), so its indexes have a realistic depth.
`--tree` runs another checkout's code (e.g. a worktree of the commit before a change) with this script, so
before and after can be interleaved on one machine:

    .venv/bin/python bench/event_rows.py --tree ../wt-before --label before
    .venv/bin/python bench/event_rows.py --label after
"""

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def _backend_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", default=str(HERE), help="the checkout whose code runs (default: this one)")
    parser.add_argument("--label", default="")
    parser.add_argument("--refreshes", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200_000, help="event rows before the run")
    parser.add_argument("--database", default="rotor_bench_events")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres", help="admin URL")
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    tree = Path(args.tree).resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    os.environ.update(
        DATABASE_URL=args.postgres.rsplit("/", 1)[0] + f"/{args.database}",
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="config.settings",
        REDIS_URL="",
        # the OAuth rate limits off: their counter statement is not what is measured here
        ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE="0",
        ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE="0",
        ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE="0",
        ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE="0",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.services import create_user
    from clients.services import create_app
    from core.systemlog.models import Event
    from tokens.lifecycle import families
    from tokens.lifecycle.events import grant_events
    from tokens.models import RefreshToken
    from tokens.servers import keys
    from tokens.servers.registry import get_server

    call_command("migrate", verbosity=0)
    user = create_user(username="bench@example.com", email="bench@example.com", first_name="B", last_name="E")
    app, _ = create_app(
        {
            "label": "bench public",
            "application_type": "browser",
            "rotation_type": "ROTATE",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["http://127.0.0.1/cb"],
        }
    )
    server = get_server("org")
    scopes = ["openid", "offline_access"]
    keys.signing_key(server.id)

    # The log, in the form this code writes: its own grant rows for one refresh, repeated.
    family, token = families.start_family(
        client=app, user=user, server=server, scopes=scopes, auth_time=timezone.now(), grant_type="authorization_code"
    )
    template = grant_events(server, app, user, family, scopes, "refresh_token", refresh_issued=True)
    columns = [f.column for f in Event._meta.concrete_fields if not f.primary_key]
    overrides = {
        "uuid": "gen_random_uuid()",
        "published": "now() - make_interval(secs => (%(n)s - i) * 0.05)",
        "app_id": "'0oa' || (i %% 50)",
        "user_id": "'00u' || (i %% 5000)",
        "family_id": "'oar' || (i / 30)",
    }
    select = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Event._meta.db_table} ({', '.join(columns)}) SELECT {select} "
            "FROM generate_series(1, %(n)s) i, "
            f"jsonb_populate_record(NULL::{Event._meta.db_table}, (%(rows)s::jsonb)->(i %% %(k)s)) t",
            {"n": args.events, "rows": json.dumps(template, default=str), "k": len(template)},
        )
        cursor.execute(f"ANALYZE {Event._meta.db_table}")

    client = Client()
    form = "application/x-www-form-urlencoded"

    def refresh(presented: str) -> str:
        body = f"grant_type=refresh_token&refresh_token={presented}&client_id={app.client_id}"
        response = client.post("/oauth2/v1/token", body, content_type=form)
        assert response.status_code == 200, response.content
        return response.json()["refresh_token"]

    for _ in range(200):  # warm-up: imports, caches, prepared statements
        token = refresh(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tables = {"tokens_event": Event, "tokens_refreshtoken": RefreshToken}
    first = {
        name: (model.objects.order_by("-id").values_list("id", flat=True).first() or 0)
        for name, model in tables.items()
    }
    cpu = _backend_cpu_ms(pid)
    started = time.perf_counter()
    for _ in range(args.refreshes):
        token = refresh(token)
    wall = time.perf_counter() - started
    cpu = _backend_cpu_ms(pid) - cpu
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid, "the connection changed during the run"

    rows, entries = {}, {}
    with connection.cursor() as cursor:
        for name in tables:
            cursor.execute(f"SELECT count(*) FROM {name} WHERE id > %s", [first[name]])
            rows[name] = cursor.fetchone()[0] / args.refreshes
            cursor.execute(
                "SELECT i.relname, pg_get_expr(x.indpred, x.indrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass ORDER BY i.relname",
                [name],
            )
            for index, predicate in cursor.fetchall():
                cursor.execute(f"SELECT count(*) FROM {name} WHERE id > %s AND ({predicate or 'true'})", [first[name]])
                entries[f"{name}.{index}"] = cursor.fetchone()[0] / args.refreshes
    result = {
        "label": args.label,
        "tree": str(tree),
        "refreshes": args.refreshes,
        "event_rows_before": args.events,
        "pg_cpu_ms_per_refresh": round(cpu / args.refreshes, 4),
        "wall_ms_per_refresh": round(wall * 1000 / args.refreshes, 3),
        "rows_per_refresh": rows,
        "index_entries_per_refresh": entries,
        "index_entries_total": sum(entries.values()),
        "loadavg": os.getloadavg(),
    }
    print(json.dumps(result))
    out = (
        HERE
        / "bench"
        / "results"
        / f"event-rows-{args.label or 'run'}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
