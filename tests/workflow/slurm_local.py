"""A real single-node SLURM on localhost for the tests (Debian packages, one node, no slurmdbd).

Debian's slurmctld, slurmd and munge, installed with apt-get when missing (root only), configured with the minimal
setup (no accounting: the executor must poll with ``squeue``), started as daemons and stopped by their PIDs.
:func:`start` raises :class:`Unavailable` with the reason where the machine cannot do this, so the test can skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# written by grokrepro tests/slurm_local.py"
PID_FILES = {"slurmd": Path("/run/slurmd.pid"), "slurmctld": Path("/run/slurmctld.pid"),
             "munged": Path("/run/munge/munged.pid")}


class Unavailable(RuntimeError):
    """SLURM cannot be installed or started here (the reason is the message)."""


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def install() -> None:
    if all(shutil.which(b) for b in ("slurmctld", "slurmd", "sinfo", "munged")):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable("SLURM is not installed and this machine cannot install Debian packages (needs root and "
                          "apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]
    proc = _run(cmd, env=env, timeout=300)
    if proc.returncode != 0:  # a fresh image may have no package lists yet
        _run(["apt-get", "update", "-qq"], env=env, timeout=300)
        proc = _run(cmd, env=env, timeout=300)
    if proc.returncode != 0:
        raise Unavailable(f"apt-get install {' '.join(PACKAGES)} failed: {proc.stderr.strip()[-300:]}")


def _write_conf() -> None:
    if CONF.exists() and MARKER not in CONF.read_text():
        raise Unavailable(f"{CONF} exists and is not ours: refusing to replace a real cluster's configuration")
    host = socket.gethostname().split(".")[0]
    mem = int(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 * 0.9)
    CONF.parent.mkdir(parents=True, exist_ok=True)
    for d in ("/var/lib/slurm/slurmctld", "/var/lib/slurm/slurmd", "/var/log/slurm"):
        Path(d).mkdir(parents=True, exist_ok=True)
    for d in ("/var/lib/slurm/slurmctld", "/var/log/slurm"):
        shutil.chown(d, "slurm", "slurm")
    CONF.write_text(f"""{MARKER}
ClusterName=ci
SlurmctldHost={host}(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile={PID_FILES['slurmctld']}
SlurmdPidFile={PID_FILES['slurmd']}
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")


def _pid(name: str) -> int | None:
    try:
        return int(PID_FILES[name].read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def start() -> dict[str, int]:
    """Install if needed, configure, start munged, slurmctld and slurmd; wait until the node is idle.

    Returns the daemons' PIDs (only those this call started; running ones are left alone and not returned)."""
    install()
    _write_conf()
    if not Path("/etc/munge/munge.key").exists():
        _run(["mungekey", "--create", "--keyfile=/etc/munge/munge.key"])
    started = {}
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    commands = {"munged": ["runuser", "-u", "munge", "--", "/usr/sbin/munged"],
                # -c: forget the jobs a killed earlier test run left in the saved state (they would keep the node
                # "mixed", never idle); the cluster is this helper's own (marked slurm.conf)
                "slurmctld": ["/usr/sbin/slurmctld", "-c"], "slurmd": ["/usr/sbin/slurmd"]}
    for name in ("munged", "slurmctld", "slurmd"):
        if _alive(_pid(name)):
            continue
        proc = _run(commands[name], timeout=30)
        for _ in range(40):
            if _alive(_pid(name)):
                break
            time.sleep(0.1)
        if not _alive(_pid(name)):
            stop(started)
            raise Unavailable(f"{name} did not start: {proc.stderr.strip()[-300:]}")
        started[name] = _pid(name)
    for _ in range(240):
        state = _run(["sinfo", "-h", "-o", "%T"]).stdout.split()
        if "idle" in state:
            return started
        time.sleep(0.25)
    stop(started)
    raise Unavailable(f"the SLURM node never became idle (sinfo: {state})")


def stop(pids: dict[str, int]) -> None:
    """SIGTERM the daemons this session started, by PID, wait for them to exit, and remove our slurm.conf.

    The configuration must not outlive the daemons: with a slurm.conf naming a controller that is down, every later
    `snakemake` start waits ~9 s while the SLURM executor plugin asks `scontrol` for the cluster's settings (measured
    2026-11-30: the quick DAG fixture after this test took 924 s instead of 684 s)."""
    for name in ("slurmd", "slurmctld", "munged"):
        pid = pids.get(name)
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while time.time() < deadline and any(_alive(p) for p in pids.values()):
        time.sleep(0.1)
    for pid in pids.values():
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    if CONF.exists() and MARKER in CONF.read_text():
        CONF.unlink()
