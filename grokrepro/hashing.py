"""Source hashes for rule params (light: imported when the Snakefile is parsed, so no torch here)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def source_hash(paths) -> str:
    """sha256 over the given source files, so a code change reruns the rules that use it."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
