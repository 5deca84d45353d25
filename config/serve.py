"""Rotor's production HTTP server: granian's WSGI server, `python -m config.serve --workers N --bind HOST:PORT`.

The worker model is gunicorn's sync model with granian's Rust HTTP handling (bench/README.md, "The
HTTP server", has the measurements):
- one Python thread per worker (`blocking_threads=1`): one request at a time and one PostgreSQL
  connection per worker. granian's default for WSGI is backpressure ÷ 2 threads, 170 per worker
  with 3 workers, and Django opens a connection per thread: the bench ran PostgreSQL out of
  connections ("too many clients") and spread requests 219/164/45 over three workers;
- one connection at a time (`backpressure=1`) and no keep-alive: a worker accepts only when it is
  free and closes after the response, so the kernel's accept queue hands each connection to an
  idle worker and the load shares evenly (keep-alive pins a client's connections to one worker);
- dead workers are replaced (`respawn_failed_workers`).

Prometheus multi-process mode, as config/gunicorn.py does it for gunicorn: each worker writes its
metrics to files in PROMETHEUS_MULTIPROC_DIR and `/metrics` sums them. A fresh directory when the
variable is unset (removed at exit); when it is set, its old files are removed at startup, since
the counters restart with the server. A dead worker's files stay and keep counting; Rotor has no
live gauges, which are all that gunicorn's `mark_process_dead` removes.
"""

import argparse
import glob
import os
import shutil
import tempfile


def prepare_metrics_dir() -> tuple[str, bool]:
    """PROMETHEUS_MULTIPROC_DIR made (or emptied) before any worker imports prometheus_client."""
    made = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if made:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rotor-metrics-")
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    return path, made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('PORT', '8000')}", help="HOST:PORT")
    parser.add_argument("--workers", type=int, default=3, help="worker processes (README, Running at scale)")
    parser.add_argument("--backlog", type=int, default=1024, help="the listen queue, shared by every worker")
    parser.add_argument("--access-log", action="store_true", help="one line per request on stdout")
    parser.add_argument("--app", default="config.wsgi:application", help="the WSGI application")
    args = parser.parse_args(argv)

    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    metrics_dir, made = prepare_metrics_dir()
    host, _, port = args.bind.rpartition(":")
    server = Granian(
        args.app,
        address=host.strip("[]") or "127.0.0.1",
        port=int(port),
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,  # no HTTP/2 multiplexing either: one request per connection
        workers=args.workers,
        blocking_threads=1,
        backpressure=1,
        backlog=args.backlog,
        http1_settings=HTTP1Settings(keep_alive=False),
        websockets=False,
        respawn_failed_workers=True,
        log_access=args.access_log,
    )
    if made:
        server.on_shutdown(lambda: shutil.rmtree(metrics_dir, ignore_errors=True))
    server.serve()


if __name__ == "__main__":
    main()
