"""Rotor's WSGI app, optionally wrapped to count SQL statements per request (for `make bench`).

With ROTOR_COUNT_QUERIES=1 each response carries `X-Rotor-Queries`: the statements Django sent
through this worker's connection while handling the request (BEGIN/COMMIT are implicit in
psycopg and not counted; SAVEPOINTs are). Production servers use config.wsgi, which never has
this wrapper, so the hot path pays nothing for it; the bench runs a separate counting server.
"""

import os

from config.wsgi import application as rotor

if os.environ.get("ROTOR_COUNT_QUERIES") == "1":
    from django.db import connection

    def application(environ, start_response):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Rotor-Queries", str(count))], exc_info)

        with connection.execute_wrapper(counter):
            return rotor(environ, start)

else:
    application = rotor
