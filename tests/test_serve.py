"""config/serve.py, the production server's launcher: its Prometheus directory before any worker starts.
Serving itself is tested live (tests/test_metrics_live.py runs every live check on it and on gunicorn)."""

from config.serve import prepare_metrics_dir


def test_a_given_directory_is_emptied_of_the_last_runs_counters(tmp_path, monkeypatch):
    (tmp_path / "counter_4242.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert prepare_metrics_dir() == (str(tmp_path), False)  # not made here, so not removed at exit
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_without_one_a_fresh_directory_is_made_and_exported_to_the_workers(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    import os
    import shutil

    path, made = prepare_metrics_dir()
    try:
        assert made and os.path.isdir(path) and os.environ["PROMETHEUS_MULTIPROC_DIR"] == path
        assert os.listdir(path) == []
    finally:
        shutil.rmtree(path)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
