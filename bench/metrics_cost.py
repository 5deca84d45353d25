"""What the metrics cost one refresh, in Prometheus multi-process mode (as under gunicorn).

    .venv/bin/python bench/metrics_cost.py [--calls 200000]

Times, per call: each record function the refresh path runs (the refresh outcome, the token
endpoint's outcome, the latency observation), and the whole `tokens.ops.observed` wrapper around
a view that does nothing, against that view bare, with the request logger off (the default).
No database is touched: the settings load, nothing connects.
"""

import argparse
import os
import shutil
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_made = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="rotor-metrics-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from prometheus_client import values  # noqa: E402

from core.ops import metrics  # noqa: E402
from tokens.ops import observed  # noqa: E402


def per_call_us(fn, calls: int) -> float:
    return min(timeit.repeat(fn, number=calls, repeat=5)) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    calls = parser.parse_args().calls
    assert values.ValueClass.__name__ == "MmapedValue", "not in multi-process mode"

    request = RequestFactory().post(
        "/oauth2/v1/token", "grant_type=refresh_token&refresh_token=x", content_type="application/x-www-form-urlencoded"
    )
    request.POST  # noqa: B018  (parsed already when the view returns, as DRF leaves it)
    response = HttpResponse()

    def view(request, server_id):
        return response

    wrapped = observed("token", view)
    rows = {
        "metrics.refresh('rotated')": per_call_us(lambda: metrics.refresh("rotated"), calls),
        "metrics.token_request(...)": per_call_us(lambda: metrics.token_request("refresh_token", "issued"), calls),
        "metrics.observe('token', s)": per_call_us(lambda: metrics.observe("token", 0.0031), calls),
        "bare view": per_call_us(lambda: view(request, server_id="org"), calls),
        "observed(view)": per_call_us(lambda: wrapped(request, server_id="org"), calls),
    }
    for name, us in rows.items():
        print(f"{name:32} {us:7.3f} µs")
    per_refresh = rows["observed(view)"] - rows["bare view"] + rows["metrics.refresh('rotated')"]
    print(f"{'per refresh (wrapper + outcome)':32} {per_refresh:7.3f} µs")
    if _made:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
