"""EXPLAIN ANALYZE of every query the system log's readers run, on a log of realistic size (docs/system-log-queries.md).

Fills a fresh database with `--events` event rows shaped like production's mix: token-grant rows of a few busy
and many quiet apps, thousands of users and families, with sign-ins, revocations, reuse detections and aggregated
invalid-client events among them, over 48 hours. Then it builds each query with the code the readers use
(reading.Log, filter_events, the console's form, the family timeline, the dashboard, purge, the invalid-client
aggregation) and prints its plan as Markdown, so the document shows which index each query uses.

    .venv/bin/python bench/log_plans.py [--events 200000] (its output is the second half of docs/system-log-queries.md)
"""

import argparse
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--database", default="rotor_bench_plans")
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
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F, Min, Value
    from django.http import QueryDict
    from django.utils import timezone

    from core.systemlog import grants, types
    from core.systemlog.forms import LogFilterForm
    from core.systemlog.models import Event
    from core.systemlog.reading import HEAD_ROWS, Log, filter_events
    from tokens import purge, reports

    call_command("migrate", verbosity=0)
    columns = [f.column for f in Event._meta.concrete_fields if not f.primary_key]
    # 1 in 50 rows is not a token grant: sign-ins, revocations, app changes; 1 in 5,000 a reuse detection.
    values = {
        "uuid": "gen_random_uuid()",
        "published": "now() - make_interval(secs => (%(n)s - i) * 172800.0 / %(n)s)",
        "event_type": "CASE WHEN i % 5000 = 0 THEN 'app.oauth2.token.detect_reuse' "
        "WHEN i % 50 = 1 THEN 'user.session.start' WHEN i % 50 = 2 THEN 'app.oauth2.token.revoke' "
        "WHEN i % 50 = 3 THEN 'app.oauth2.invalid_client_credentials' "
        "WHEN i % 7 = 0 THEN 'app.oauth2.as.token.grant' ELSE 'app.oauth2.token.grant' END",
        "severity": "'INFO'",
        "display_message": "'Access token, ID token and refresh token granted (refresh token)'",
        "outcome_result": "'SUCCESS'",
        "outcome_reason": "''",
        "actor": "jsonb_build_object('id', '0oa' || floor(power((i % 9973) / 9973.0, 4) * 300)::int, "
        "'type', 'AppInstance')",
        "client_info": "jsonb_build_object('ipAddress', '10.0.0.1')",
        "targets": "jsonb_build_array(jsonb_build_object('id', '00u' || (i % 20000), 'type', 'User'), "
        "jsonb_build_object('id', 'oar' || (i / 40), 'type', 'RefreshTokenFamily'))",
        "debug_data": "jsonb_build_object('grantType', CASE WHEN i % 40 = 0 THEN 'authorization_code' "
        "ELSE 'refresh_token' END, 'scopes', 'openid offline_access')",
        # a few busy apps and many quiet ones, as in production (the planner's statistics see the difference)
        "app_id": "CASE WHEN i % 10000 = 17 THEN '0oaquiet' "
        "ELSE '0oa' || floor(power((i % 9973) / 9973.0, 4) * 300)::int END",
        "user_id": "'00u' || (i % 20000)",
        "family_id": "'oar' || (i / 40)",
        "issued": "CASE WHEN i % 5000 = 0 OR i % 50 IN (1, 2, 3) THEN '' "
        "WHEN i % 40 = 0 OR i % 9 = 0 THEN 'access_token id_token refresh_token' "
        "WHEN i % 11 = 0 THEN 'access_token id_token' ELSE 'access_token id_token refresh_token' END",
    }
    select = ", ".join(values[c].replace("%", "%%").replace("%%(n)s", "%(n)s") for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Event._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (our own table)
            f"SELECT {select} FROM generate_series(1, %(n)s) i",
            {"n": args.events},
        )
        cursor.execute(f"VACUUM ANALYZE {Event._meta.db_table}")
    log = Log(Event.objects.all())
    now = timezone.now()
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first()

    def api(expression: str) -> Log:
        return filter_events(log, expression)

    def console(**params) -> Log:
        form = LogFilterForm(QueryDict(mutable=True) | params)
        return form.filter(log)

    def page(selection: Log, *, descending: bool, limit: int, after=None):
        """The rows Log.page() reads for one page of `limit` events."""
        return selection.page_rows(descending=descending, after=None if after is None else (after, None), limit=limit)

    def first_id_since(selection: Log, title: str) -> list:
        """The queries of Log.first_id_since(), as querysets to explain: the log's first rows, then the index."""
        events = Event.objects.order_by()
        head = events.filter(pk__in=events.order_by("pk").values("pk")[:HEAD_ROWS])
        one = {"one": Value(1)}
        return [
            (
                f"{title}: the first id since, among the log's first {HEAD_ROWS} rows",
                head.filter(published__gte=selection.since).annotate(**one).values("one").annotate(first=Min("pk")),
            ),
            (
                f"{title}: the first id since, from the index (when not among them)",
                events.filter(published__gte=selection.since)
                .annotate(**one)
                .values("one")
                .annotate(first=Min(F("pk") + 0))
                .values("first"),
            ),
        ]

    since = now - timedelta(hours=1)
    queries = [
        ("/api/v1/logs (first page, 100)", page(log, descending=False, limit=101)),
        ("/api/v1/logs?after=… (a page in the middle)", page(log, descending=False, limit=101, after=newest // 2)),
        *first_id_since(log.published_since(since), "/api/v1/logs?since=<1 h ago> (a SIEM poller)"),
        (
            "/api/v1/logs?since=<1 h ago> (a SIEM poller): the page",
            page(log.published_since(since), descending=False, limit=101),
        ),
        *first_id_since(log.published_since(now - timedelta(hours=47)), "/api/v1/logs?since=<47 h ago> (an old since)"),
        (
            "/api/v1/logs?since=<47 h ago> (an old since): the page",
            page(log.published_since(now - timedelta(hours=47)), descending=False, limit=101),
        ),
        (
            '/api/v1/logs?filter=eventType eq "app.oauth2.token.grant.id_token" (a derived event type)',
            page(api('eventType eq "app.oauth2.token.grant.id_token"'), descending=False, limit=101),
        ),
        (
            '/api/v1/logs?filter=eventType eq "app.oauth2.token.detect_reuse" (a rare event type)',
            page(api('eventType eq "app.oauth2.token.detect_reuse"'), descending=True, limit=101),
        ),
        (
            '/api/v1/logs?filter=target.id eq "00u123"',
            page(api('target.id eq "00u123"'), descending=True, limit=101),
        ),
        ('/api/v1/logs?filter=actor.id eq "0oa7"', page(api('actor.id eq "0oa7"'), descending=True, limit=101)),
        ("console: the log, newest first (25)", page(log, descending=True, limit=26)),
        ("console: filtered by a busy app", page(console(app="0oa7"), descending=True, limit=26)),
        ("console: filtered by a quiet app", page(console(app="0oaquiet"), descending=True, limit=26)),
        ("console: filtered by user", page(console(user="00u123"), descending=True, limit=26)),
        (
            "console: filtered by event type (sign-ins)",
            page(console(event_type=types.SESSION_START), descending=True, limit=26),
        ),
        ("family timeline (tokens/reports.py)", Event.objects.filter(family_id="oar100").order_by("-id")[:200]),
        *zip(
            ("dashboard: refreshes per hour, 24 h (grant rows)", "dashboard: refreshes per hour, 24 h (older rows)"),
            reports.refresh_counts(log.rows.filter(published__gt=now - timedelta(hours=24))),
            strict=True,
        ),
        (
            "dashboard: reuse detections per hour, 24 h",
            log.rows.filter(grants.of_types(types.REUSE), published__gt=now - timedelta(hours=24)),
        ),
        (
            "purge: the next batch of events past retention",
            purge.old_events(purge.Policy(now=now, event_retention=timedelta(hours=24)))
            .filter(pk__gt=0)
            .order_by("pk")
            .values_list("pk", flat=True)[:1000],
        ),
        (
            "invalid-client aggregation: its window's event by uuid (tokens/oauth/limits.py)",
            Event.objects.filter(uuid="00000000-0000-5000-8000-000000000000", issued=""),
        ),
    ]
    print(f"{args.events:,} event rows, PostgreSQL {connection.cursor().connection.info.server_version}.\n")
    for title, qs in queries:
        if hasattr(qs, "annotate") and title.startswith("dashboard"):
            from django.db.models import Count
            from django.db.models.functions import TruncHour

            qs = qs.annotate(hour=TruncHour("published")).values("hour").annotate(n=Count("id"))
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"### {title}\n\n```sql\n{sql % tuple(repr(p) for p in params)}\n```\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
