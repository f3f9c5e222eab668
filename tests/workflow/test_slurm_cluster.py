"""The workflow on a real one-node SLURM on localhost (the profiles' dry runs: test_slurm.py).

The cluster test starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm) in a
temporary folder, with their own key, socket, ports, state and slurm.conf, so nothing of the
machine's own set-up is read or changed. It submits one of the quick preset's data-free
figures (Fig. 4, whose tables and plots are the quickest) through `--profile profiles/slurm`, first
with a broken plotting library on the nodes: the plot jobs fail on the cluster, Snakemake
names their SLURM log, the theory tables stay. The rerun after the fix runs only the plots;
then every table must equal a local run's, byte for byte.

Without the binaries (or root, which slurmd needs) the test is skipped; LINDAE_REQUIRE_SLURM=1
(set by .ci/run, which installs them) turns that skip into a failure. It mostly waits for
SLURM's status checks, so `make test` runs it beside the unit tests, on a worker of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from conftest import ROOT, job_stats, slurm_environment, snakemake

pytestmark = pytest.mark.slurm

QUICK = ROOT / "config" / "quick.yaml"
PROFILE = ROOT / "profiles" / "slurm"
# Fig. 4: its tables and plots are the quickest (10-18 s per cluster job here, start-up on the
# node included). The SLURM executor checks 2 s after a submission and then 10 s later after
# every check that finds no job finished (2, 14, 36, 68 s ...), so each job is found at the
# 14 s or 36 s check; a slower figure would wait until 68 s.
TARGETS = ("fig4",)
TABLES = [
    f"{target}{suffix}{ending}"
    for target in TARGETS
    for suffix in ("", "_corrected")
    for ending in (".csv", "_notes.json")
]
PLOTS = [
    name.replace(".csv", ext)
    for name in TABLES
    if name.endswith(".csv")
    for ext in (".pdf", ".png")
]
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def run_snakemake(workdir: Path, *args: str, env: dict | None = None, configs=()):
    """This repository's workflow on the quick preset, working directory ``workdir``."""
    return snakemake(workdir, *args, configs=(QUICK, *configs), check=False, env=env)


# --- a real SLURM on localhost --------------------------------------------------------------


def _missing_reason() -> str | None:
    missing = [name for name in BINARIES if shutil.which(name, path=SEARCH_PATH) is None]
    if missing:
        return f"SLURM/munge not installed (missing: {', '.join(missing)}); see .ci/run"
    if os.geteuid() != 0:
        return "a local slurmd must run as root"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, what: str, logs: list[Path], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(f"== {log}\n{log.read_text()[-2000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


SLURM_CONF = """\
ClusterName=lindae
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
# No cgroups in containers: plain process tracking, no task binding, no accounting database
# (Snakemake then polls with squeue, which shows finished jobs for MinJobAge seconds).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
SlurmdParameters=config_overrides
NodeName={node} NodeAddr=127.0.0.1 CPUs=2 RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A one-node SLURM (2 CPUs) on localhost; yields the environment that reaches it.

    Every daemon runs in the foreground as a child of this process and is stopped by its PID
    when the module's tests end, pass or fail; slurm.conf is removed with it.
    """
    reason = _missing_reason()
    if reason:
        if os.environ.get("LINDAE_REQUIRE_SLURM") == "1":
            pytest.fail(f"LINDAE_REQUIRE_SLURM=1 but {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("slurm")
    for folder in ("state", "spool", "log", "munge", "munge-key"):
        (root / folder).mkdir()
    (root / "munge").chmod(0o755)  # munged wants its socket folder readable by all
    (root / "munge-key").chmod(0o700)
    key = root / "munge-key" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    munge_socket = root / "munge" / "munge.socket"
    conf = root / "slurm.conf"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    conf.write_text(
        SLURM_CONF.format(
            host=socket.gethostname().split(".")[0],
            node="lindae-node",
            ctld_port=_free_port(),
            slurmd_port=_free_port(),
            munge_socket=munge_socket,
            root=root,
            memory=max(2000, memory * 3 // 4),
        )
    )
    env = slurm_environment({**os.environ, "SLURM_CONF": str(conf), "PATH": SEARCH_PATH})
    log = root / "log"
    daemons = [
        (
            "munged",
            [
                "munged",
                "-F",
                "--force",
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--log-file={log / 'munged.log'}",
                f"--pid-file={root / 'munged.pid'}",
                f"--seed-file={root / 'munged.seed'}",
            ],
        ),
        ("slurmctld", ["slurmctld", "-D", "-i"]),
        ("slurmd", ["slurmd", "-D", "-N", "lindae-node"]),
    ]
    with ExitStack() as stack:
        stack.callback(conf.unlink, missing_ok=True)
        for name, command in daemons:
            out = open(log / f"{name}.out", "w")
            stack.callback(out.close)
            command[0] = shutil.which(command[0], path=SEARCH_PATH)
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
            stack.callback(_stop, process)
            if name == "munged":
                _wait(munge_socket.exists, "munged's socket", [log / "munged.out"])
        logs = [log / "slurmctld.out", log / "slurmd.out"]
        _wait(lambda: _node_state(env) == "idle", "an idle SLURM node", logs)
        yield env


def _node_state(env: dict) -> str:
    result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=env)
    return result.stdout.strip()


def _stop(process: subprocess.Popen) -> None:
    """Stop one daemon by its PID: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_figures_on_slurm_resume_after_a_failure_and_equal_a_local_run(cluster, tmp_path):
    started = time.monotonic()
    local_dir, slurm_dir = tmp_path / "local", tmp_path / "slurm"
    local_dir.mkdir()
    slurm_dir.mkdir()
    # The local reference (the tables only) runs beside the cluster run, which mostly waits.
    local = {}
    tables = [f"results/figures/{name}" for name in TABLES]
    thread = threading.Thread(
        target=lambda: local.update(result=run_snakemake(local_dir, "--cores", "2", *tables))
    )
    thread.start()

    # --cores 2: the most CPUs a bundled group job asks for (the node has 2). Status checks
    # start 2 s after a submission (default 40 s), come every 2 s (default 10 s: the test
    # would mostly wait) and use squeue (no accounting database).
    slurm_args = ("--profile", str(PROFILE), "--cores", "2", "--slurm-status-command", "squeue")
    slurm_args += ("--slurm-init-seconds-before-status-checks", "2")
    slurm_args += ("--seconds-between-status-checks", "2", *TARGETS)
    # 1. The nodes' plotting library is broken (a fake matplotlib first on PYTHONPATH, which
    # the jobs inherit): every plot fails on the nodes, the tables (which never import it) do
    # not. Planning skips the colour check where matplotlib cannot be imported.
    broken_library = tmp_path / "broken" / "matplotlib"
    broken_library.mkdir(parents=True)
    (broken_library / "__init__.py").write_text(
        'raise ImportError("matplotlib is broken on this node (lindae test)")\n'
    )
    broken_env = {
        **cluster,
        "PYTHONPATH": os.pathsep.join([str(broken_library.parent), cluster["PYTHONPATH"]]),
    }
    broken = run_snakemake(slurm_dir, *slurm_args, env=broken_env)
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output
    failed = re.findall(r"log: (\S*/slurm_logs/group_plots\S*/\d+\.log)", output)
    assert failed, f"no SLURM log named for the failed job:\n{output}"
    assert "matplotlib is broken on this node" in Path(failed[0]).read_text()
    figures = slurm_dir / "results" / "figures"
    mtimes = {name: (figures / name).stat().st_mtime_ns for name in TABLES}
    phases = [f"failing run {time.monotonic() - started:.0f} s"]
    assert not any((figures / name).exists() for name in PLOTS)

    # 2. The fix (a sane environment): only the plots run, the finished tables are kept.
    fixed = run_snakemake(slurm_dir, *slurm_args, env=cluster)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, output
    assert job_stats(output) == {"figure_plot": 2 * len(TARGETS), **dict.fromkeys(TARGETS, 1)}, (
        output
    )
    assert {name: (figures / name).stat().st_mtime_ns for name in TABLES} == mtimes
    assert all((figures / name).stat().st_size > 0 for name in PLOTS)
    assert "submitted with SLURM jobid" in output, output
    phases.append(f"rerun {time.monotonic() - started:.0f} s")

    # 3. The cluster's tables equal a local run's, byte for byte: same code, same host, and
    # every random draw is seeded, so any difference would be a real one.
    thread.join()
    result = local["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    for name in TABLES:
        local_table = (local_dir / "results" / "figures" / name).read_bytes()
        assert (figures / name).read_bytes() == local_table, name
    phases.append(f"compared {time.monotonic() - started:.0f} s")
    print("SLURM test, elapsed after each step:", ", ".join(phases), file=sys.stderr)
