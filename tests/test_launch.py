"""gradatlas_launch: commands forked from a warm server behave exactly like fresh processes."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
import xarray as xr
from helpers import reference, sweep_settings

import gradatlas_launch
from gradatlas import io
from gradatlas_launch import _server

from conftest import ROOT

pytestmark = pytest.mark.skipif(not gradatlas_launch.enabled(), reason="needs fork and Unix sockets")

SETTINGS = sweep_settings(
    "linear_decay", "tsit5", "final_state", "forward_jvp", [1e-3, 1e-6], repeats=1
).to_json()
TIMINGS = {"run_time", "run_times", "compile_time", "trace_time", "prepare_time", "warmup_time"}


@pytest.fixture
def env(tmp_path):
    """A private server folder and caches, so the tests neither meet nor leave a shared server.
    (A short folder: a Unix socket's path has at most 107 bytes.)"""
    run = tempfile.mkdtemp(prefix="ga-", dir="/tmp")
    yield {
        **os.environ,
        "XDG_RUNTIME_DIR": run,
        "GRADATLAS_JAX_CACHE": str(tmp_path / "cache"),
        "EQX_ON_ERROR": "nan",
    }
    shutil.rmtree(run, ignore_errors=True)


def launch(args, env, cwd, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "gradatlas_launch", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs,
    )  # fmt: skip


def server_pids(env):
    folder = next((p for p in os.scandir(env["XDG_RUNTIME_DIR"]) if p.is_dir()), None)
    if folder is None:
        return []
    pids = []
    for log in os.scandir(folder.path):
        if log.name.endswith(".log"):
            text = open(log.path).read()
            pids += [int(word.rstrip(")")) for word in text.split() if word.rstrip(")").isdigit()]
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


@pytest.fixture
def reference_file(tmp_path):
    ref = reference("linear_decay", "final_state", rtol=1e-10, check_rtol=1e-8)
    path = tmp_path / "reference.nc"
    io.write(io.reference_to_dataset(ref), path)
    return path


def sweep_args(reference_path, out, settings=SETTINGS):
    return ["sweep", "--reference", str(reference_path), "--settings", settings, "--out", str(out)]


def test_forked_sweep_equals_a_fresh_process(env, reference_file, tmp_path):
    direct = launch(
        sweep_args(reference_file, tmp_path / "direct.nc"), {**env, "GRADATLAS_FORKSERVER": "0"}, tmp_path
    )
    assert direct.returncode == 0, direct.stderr
    assert "forked worker" not in direct.stderr and not server_pids(env)
    for name in ("first.nc", "second.nc"):  # the first starts the server, the second reuses it
        forked = launch(sweep_args(reference_file, tmp_path / name), env, tmp_path)
        assert forked.returncode == 0, forked.stderr
        assert "forked worker used" in forked.stderr
        assert forked.stdout.splitlines()[0] == direct.stdout.splitlines()[0]
    assert len(server_pids(env)) == 1
    a = xr.open_dataset(tmp_path / "direct.nc")
    for name in ("first.nc", "second.nc"):
        b = xr.open_dataset(tmp_path / name)
        assert set(a.data_vars) == set(b.data_vars)
        for v in set(a.data_vars) - TIMINGS:
            xr.testing.assert_equal(a[v], b[v])
        assert np.all(np.isfinite(b["grad"].values))


def test_exit_status_and_output_pass_through(env, tmp_path):
    proc = launch(["sweep", "--reference", "x.nc"], env, tmp_path)
    assert proc.returncode == 2  # argparse's usage error, as from `python -m gradatlas`
    assert "the following arguments are required" in proc.stderr
    proc = launch(["--help"], env, tmp_path)
    assert proc.returncode == 0 and "usage: gradatlas" in proc.stdout
    proc = launch(sweep_args(tmp_path / "missing.nc", tmp_path / "out.nc"), env, tmp_path)
    assert proc.returncode == 1 and "missing.nc" in proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_launcher_takes_its_worker_with_it(env, reference_file, tmp_path, signum):
    """SIGTERM is forwarded to the worker; after SIGKILL the worker sees the socket close."""
    slow_settings = sweep_settings(
        "linear_decay", "tsit5", "final_state", "finite_difference", [1e-3], repeats=1
    )
    slow = sweep_args(reference_file, tmp_path / "out.nc", slow_settings.to_json())
    warm = launch(["--help"], env, tmp_path)  # the server is up before the timed part
    assert warm.returncode == 0
    (server,) = server_pids(env)
    proc = subprocess.Popen([sys.executable, "-m", "gradatlas_launch", *slow], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60
    workers = []
    while not workers and time.time() < deadline:
        workers = [int(p) for p in open(f"/proc/{server}/task/{server}/children").read().split()]
        time.sleep(0.01)
    assert workers, "no worker was forked"
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == (128 + signal.SIGTERM if signum == signal.SIGTERM else -signal.SIGKILL)
    deadline = time.time() + 10
    while os.path.exists(f"/proc/{workers[0]}") and time.time() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{workers[0]}"), "the worker outlived its launcher"
    assert not (tmp_path / "out.nc").exists()


def test_an_edited_package_gets_a_fresh_server(env, tmp_path):
    """After an edit of gradatlas, the running server no longer serves: that command runs
    directly, the server exits, and the next launcher starts a server on the new code."""
    source = tmp_path / "src"
    shutil.copytree(ROOT / "workflow", source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {**env, "PYTHONPATH": str(source)}
    assert "forked worker" in launch(["--help"], env, tmp_path).stderr
    (first,) = server_pids(env)
    edited = source / "gradatlas" / "status.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    proc = launch(["--help"], env, tmp_path)
    assert proc.returncode == 0 and "usage: gradatlas" in proc.stdout and "forked" not in proc.stderr
    deadline = time.time() + 10
    while os.path.exists(f"/proc/{first}") and time.time() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{first}"), "the stale server kept running"
    assert "forked worker" in launch(["--help"], env, tmp_path).stderr
    assert server_pids(env) and first not in server_pids(env)


def test_server_key_follows_import_time_settings(tmp_path):
    base = {"EQX_ON_ERROR": "nan", "HOME": "/x"}
    key = gradatlas_launch.server_key(base, str(tmp_path))
    assert gradatlas_launch.server_key({**base, "HOME": "/y"}, str(tmp_path)) == key
    for changed in ({"EQX_ON_ERROR": "raise"}, {"XLA_FLAGS": "--x"}, {"SLURM_JOB_ID": "7"}):
        assert gradatlas_launch.server_key({**base, **changed}, str(tmp_path)) != key
    assert gradatlas_launch.server_key(base, str(tmp_path / "other")) != key


def test_source_stamp_sees_an_edited_module(tmp_path, monkeypatch):
    source = tmp_path / "probe.py"
    source.write_text("x = 1\n")
    module = type(sys)("gradatlas._launch_probe")
    module.__file__ = str(source)
    monkeypatch.setitem(sys.modules, "gradatlas._launch_probe", module)
    before = _server.source_stamp()
    assert (str(source), source.stat().st_mtime_ns, 6) in before
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    assert _server.source_stamp() != before


def test_disabled_or_private_folder_missing_runs_directly(env, tmp_path):
    proc = launch(["--help"], {**env, "GRADATLAS_FORKSERVER": "off"}, tmp_path)
    assert proc.returncode == 0 and "usage: gradatlas" in proc.stdout and "forked" not in proc.stderr
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / f"gradatlas-{os.getuid()}").mkdir(mode=0o777)
    os.chmod(shared / f"gradatlas-{os.getuid()}", 0o777)  # not private: never listen there
    proc = launch(["--help"], {**env, "XDG_RUNTIME_DIR": str(shared)}, tmp_path)
    assert proc.returncode == 0 and "forked" not in proc.stderr
    assert not list((shared / f"gradatlas-{os.getuid()}").iterdir())
    deep = tmp_path / ("x" * 60)  # too long a path for a Unix socket
    proc = launch(["--help"], {**env, "XDG_RUNTIME_DIR": str(deep)}, tmp_path)
    assert proc.returncode == 0 and "forked" not in proc.stderr


def test_a_prestarted_server_is_the_one_the_jobs_use(env):
    """Snakemake starts the server in the background while it builds the job graph; a job
    that arrives while that server is still importing waits for it: one server, no second."""
    gradatlas_launch.prestart(sys.executable, env)  # returns at once
    proc = launch(["--help"], env, os.getcwd())
    assert proc.returncode == 0 and "forked worker" in proc.stderr
    assert len(server_pids(env)) == 1
    assert "forked worker" in launch(["--help"], env, os.getcwd()).stderr
    assert len(server_pids(env)) == 1


@pytest.mark.parametrize(
    "argv, local",
    [
        (["--cores", "2", "--configfile", "config/quick.yaml"], True),
        (["--cores", "2", "results/atlas.nc", "--configfile", "config/quick.yaml"], True),
        (["-n", "--cores", "2"], False),
        (["-np"], False),
        (["--dry-run"], False),
        (["--report", "results/report.html"], False),
        (["--profile", "profiles/slurm"], False),
        (["--executor=slurm"], False),
        (["--list-rules"], False),
    ],
)
def test_the_server_is_prestarted_only_where_jobs_run_here(argv, local):
    assert gradatlas_launch.runs_local_jobs(argv) is local
