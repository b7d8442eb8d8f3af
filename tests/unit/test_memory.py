"""grokrepro.memory: glibc's thresholds are raised once, and only where glibc is the C library."""

import ctypes
import platform

import pytest

from grokrepro import memory


def test_keep_freed_memory_sets_the_thresholds_once_on_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_done", None)
    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    assert memory.keep_freed_memory() is True
    assert memory.keep_freed_memory() is True
    assert calls == [(memory.M_MMAP_MAX, 0), (memory.M_TRIM_THRESHOLD, 1 << 30), (memory.M_ARENA_MAX, 1)]


def test_keep_freed_memory_reports_a_refused_setting(monkeypatch):
    monkeypatch.setattr(memory, "_done", None)

    class Refusing:
        def mallopt(self, param, value):
            return 0

    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: Refusing())
    assert memory.keep_freed_memory() is False


@pytest.mark.parametrize("system,libc", [("Darwin", ("", "")), ("Linux", ("musl", "1.2"))])
def test_keep_freed_memory_does_nothing_without_glibc(monkeypatch, system, libc):
    monkeypatch.setattr(memory, "_done", None)
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "libc_ver", lambda: libc)
    monkeypatch.setattr(ctypes, "CDLL", lambda name: pytest.fail("must not load a C library"))
    assert memory.keep_freed_memory() is False


def test_this_machine_accepts_the_thresholds(monkeypatch):
    """On the project's Linux machines (glibc) the real mallopt accepts both values (every setting is within its range)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    monkeypatch.setattr(memory, "_done", None)
    assert memory.keep_freed_memory() is True
