"""gunicorn settings every Rotor server starts with (`make run`, production, the tests, `make bench`):
`python -m config.serve` (config/serve.py) or `gunicorn config.wsgi -c config/gunicorn.py --workers N --bind …`.

Prometheus multi-process mode: each worker writes its metrics to files in
PROMETHEUS_MULTIPROC_DIR and `/metrics` sums them, so one scrape counts every worker. The
directory is made fresh when the variable is unset; when it is set (so that `purgetokens` from
cron can add its counts) its old files are removed once at startup, since counters restart with
the server. Set here, in the master, before any worker imports prometheus_client.
"""

import glob
import os
import shutil
import tempfile

worker_class = "sync"  # one request at a time per worker, from the shared accept queue (config/serve.py)
graceful_timeout = 5  # a stopping worker finishes its request; a refresh takes milliseconds
control_socket_disable = True  # gunicorn 27's admin socket: one path per host, which several servers would share

_made_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _made_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rotor-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    """Once per master (not on a HUP reload): start from empty counters."""
    os.makedirs(_metrics_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    """A dead worker's counters stay and keep counting; only its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    if _made_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
