"""Rotor's production HTTP server: gunicorn's sync workers, `python -m config.serve --workers N --bind HOST:PORT`.

One command for `make run`, production, the live tests and `make bench`, with the settings of
config/gunicorn.py (Prometheus multi-process mode). Sync workers take one connection at a time from
the shared accept queue and close it after the response, so the load shares evenly over the workers.

granian 2.8 in the same model (one thread, one connection at a time, no keep-alive) served the same
refreshes per second, but its p99 was 1.5-2x gunicorn's on every refresh load on a quiet machine
(bench/README.md, "The HTTP server"); refresh latency is what Rotor is for, so gunicorn serves.
`make bench BENCH_ARGS="--servers production,granian:blocking-threads=1:backpressure=1:no-http1-keep-alive"`
measures it again.
"""

import argparse
import os
import sys


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    """gunicorn's command line for these options."""
    argv = [
        "gunicorn",
        args.app,
        "--config",
        "python:config.gunicorn",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--backlog",
        str(args.backlog),
    ]
    return argv + (["--access-logfile", "-"] if args.access_log else [])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('PORT', '8000')}", help="HOST:PORT")
    parser.add_argument("--workers", type=int, default=3, help="worker processes (README, Running at scale)")
    parser.add_argument("--backlog", type=int, default=1024, help="the listen queue, shared by every worker")
    parser.add_argument("--access-log", action="store_true", help="one line per request on stdout")
    parser.add_argument("--app", default="config.wsgi:application", help="the WSGI application")
    sys.argv = gunicorn_argv(parser.parse_args(argv))

    from gunicorn.app.wsgiapp import run

    run()


if __name__ == "__main__":
    main()
