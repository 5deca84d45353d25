"""config/serve.py, the production server's launcher (gunicorn with config/gunicorn.py), and the
Prometheus directory config/gunicorn.py prepares before any worker starts. Serving itself is tested
live (tests/test_metrics_live.py runs every live check on `python -m config.serve` and on plain gunicorn)."""

import importlib
import os
import shutil
import sys

from config.serve import main


def test_the_launcher_runs_gunicorn_with_rotors_settings(monkeypatch):
    seen = []
    monkeypatch.setattr("gunicorn.app.wsgiapp.run", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["serve"])
    main(["--workers", "4", "--bind", "0.0.0.0:9000", "--access-log"])
    main([])
    with_log, plain = seen
    assert with_log[:4] == ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn"]
    assert with_log[with_log.index("--workers") + 1] == "4" and with_log[with_log.index("--bind") + 1] == "0.0.0.0:9000"
    assert with_log[-2:] == ["--access-logfile", "-"]
    assert "--access-logfile" not in plain and plain[plain.index("--workers") + 1] == "3"


def test_sync_workers_one_request_at_a_time():
    import config.gunicorn as settings

    assert settings.worker_class == "sync"


def test_a_given_directory_is_emptied_of_the_last_runs_counters(tmp_path, monkeypatch):
    (tmp_path / "counter_4242.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = importlib.reload(importlib.import_module("config.gunicorn"))
    settings.on_starting(None)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    settings.on_exit(None)  # not made here, so not removed at exit
    assert tmp_path.is_dir()


def test_without_one_a_fresh_directory_is_made_for_the_workers_and_removed_at_exit(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings = importlib.reload(importlib.import_module("config.gunicorn"))
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    try:
        settings.on_starting(None)
        assert os.path.isdir(path) and os.listdir(path) == []
        settings.on_exit(None)
        assert not os.path.exists(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
