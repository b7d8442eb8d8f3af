"""A job's stderr goes to its log file and, when asked, also to the terminal Snakemake runs in (the progress bar)."""

import io as _io
import sys

from tqdm.auto import tqdm

from grokrepro import io


def _run(tmp_path, monkeypatch, echo):
    terminal = _io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", terminal)
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # restored after the test
    log = tmp_path / "job.log"
    with io.job_stderr(log, echo=echo):
        for _ in tqdm(range(3), desc="fig6b_seed58", mininterval=0):
            pass
        sys.stderr.flush()
    return log.read_bytes().decode(), terminal.getvalue()  # bytes: keep the bar's carriage returns


def test_progress_goes_to_the_log_and_the_terminal(tmp_path, monkeypatch):
    logged, shown = _run(tmp_path, monkeypatch, echo=True)
    assert "fig6b_seed58" in logged and "3/3" in logged
    assert shown == logged


def test_without_echo_only_the_log_sees_it(tmp_path, monkeypatch):
    logged, shown = _run(tmp_path, monkeypatch, echo=False)
    assert "3/3" in logged and shown == ""


def test_append_keeps_a_resumed_jobs_log(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    log = tmp_path / "job.log"
    log.write_text("before the kill\n")
    with io.job_stderr(log, append=True):
        print("after the resume", file=sys.stderr)
        sys.stderr.flush()
    assert log.read_text() == "before the kill\nafter the resume\n"
