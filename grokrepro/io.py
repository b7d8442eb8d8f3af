"""Atomic writes: every output appears whole or not at all (a killed job leaves no partial file)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the permissions a plain open() would
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Tee:
    """A text stream that writes to a log file and echoes to the terminal."""

    def __init__(self, log, echo):
        self.log, self.echo = log, echo

    def write(self, text: str) -> int:
        self.log.write(text)
        self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        self.log.flush()
        self.echo.flush()

    def isatty(self) -> bool:
        return self.echo.isatty()


def job_stderr(log_path: str | Path, *, append: bool = False, echo: bool = False):
    """Send this job's stderr (warnings, tqdm bars) to its Snakemake log file; with ``echo`` also to the terminal
    Snakemake was started from, so a long training job's progress (steps, models still running, ETA) is visible there
    and not only in the log. ``append`` keeps a killed job's log when it resumes. Returns the open log file (the job
    ends with the process; a caller that lives on closes it)."""
    log = open(log_path, "a" if append else "w")
    sys.stderr = _Tee(log, sys.__stderr__) if echo and sys.__stderr__ is not None else log
    return log


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.10g")


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_json(obj, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def save_figure(fig, paths) -> None:
    """Save a matplotlib figure to each of ``paths`` (format from the suffix), atomically."""
    for p in paths:
        with atomic_path(p) as tmp:
            fig.savefig(tmp, format=Path(p).suffix.lstrip("."), dpi=150, bbox_inches="tight",
                        metadata={"CreationDate": None} if str(p).endswith(".pdf") else None)


def read_runs(path: str | Path) -> pd.DataFrame:
    """A run table (one row per trained model): threshold steps as nullable integers (missing = not reached)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"run table not found: {path}")
    return pd.read_csv(path, dtype={"train_step": "Int64", "val_step": "Int64", "rqi_step": "Int64"})
