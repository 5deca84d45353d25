"""config/serve.py, the production server's launcher (gunicorn with config/gunicorn.py), and the
Prometheus directory config/gunicorn.py prepares before any worker starts. Serving itself is tested
live (tests/test_metrics_live.py runs every live check on `python -m config.serve` and on plain gunicorn)."""

import importlib
import os
import shutil

from config.serve import gunicorn_argv, main


def test_the_launcher_runs_gunicorn_with_rotors_settings(monkeypatch):
    seen = {}
    monkeypatch.setattr("gunicorn.app.wsgiapp.run", lambda: seen.setdefault("argv", list(os.sys.argv)))
    monkeypatch.setattr(os.sys, "argv", ["serve"])
    main(["--workers", "4", "--bind", "0.0.0.0:9000", "--access-log"])
    argv = seen["argv"]
    assert argv[:4] == ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn"]
    assert argv[argv.index("--workers") + 1] == "4" and argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[-2:] == ["--access-logfile", "-"]
    assert "--access-logfile" not in gunicorn_argv(type("A", (), {**vars(_defaults()), "access_log": False})())


def _defaults():
    import argparse

    return argparse.Namespace(app="config.wsgi:application", bind="127.0.0.1:8000", workers=3, backlog=1024)


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
