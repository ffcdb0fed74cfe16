"""End-to-end: the real Snakemake pipeline on a tiny grid, its faults and its config checks."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = {"run_time", "compile_time", "trace_time"}

TINY = {
    "models": ["linear_decay", "stg_liu1998"],
    "solvers": ["tsit5"],
    "designs": ["nominal_steps"],
    "methods": ["forward_jvp", "forward_sensitivity"],
    "rtols": [1.0e-3, 1.0e-5],
    "observe": {"stg_liu1998": "V"},
    "exclude": [{"model": "linear_decay", "method": "forward_sensitivity", "reason": "test exclusion"}],
    "n_obs": 10,
    "max_steps": 20000,
    "repeats": 1,
    "reference": {"rtol": 1.0e-9, "check_rtol": 1.0e-7},
}


def make_workdir(path: Path, config: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Snakefile", path / "Snakefile")
    shutil.copytree(ROOT / "workflow", path / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "config", path / "config")
    shutil.copytree(ROOT / "envs", path / "envs")
    (path / "tiny.yaml").write_text(yaml.safe_dump(config))
    return path


def snakemake(workdir: Path, *args, check=True, **kwargs):
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(ROOT / ".cache" / "jax-tests")}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "tiny.yaml", *args]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


def assert_same_atlas(a: xr.Dataset, b: xr.Dataset):
    assert set(a.data_vars) == set(b.data_vars)
    for v in set(a.data_vars) - TIMINGS:
        xr.testing.assert_equal(a[v], b[v])


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    work = make_workdir(tmp_path_factory.mktemp("run_a"), TINY)
    snakemake(work)
    return work


def test_atlas_contents(clean_run):
    atlas = xr.open_dataset(clean_run / "results" / "atlas.nc")
    assert atlas["error"].dims == ("model", "design", "solver", "method", "rtol")
    for v in ("error", "status", "regime", "run_time", "compile_time", "n_steps", "n_rejected"):
        assert v in atlas
    for name, var in atlas.variables.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    for key in ("version_gradatlas", "version_jax", "version_jaxlib", "version_diffrax",
                "version_equinox", "git_commit", "config_hash", "machine", "history"):  # fmt: skip
        assert atlas.attrs.get(key), key

    # every configured cell exactly once, failures and exclusions included
    table = __import__("pandas").read_csv(clean_run / "results" / "atlas.csv")
    assert len(table) == 2 * 1 * 1 * 2 * 2
    assert not table.duplicated(["model", "design", "solver", "method", "rtol"]).any()
    excluded = table[(table.model == "linear_decay") & (table.method == "forward_sensitivity")]
    assert set(excluded.status) == {"excluded"} and set(excluded.message) == {"test exclusion"}

    # the origin mechanism, through the pipeline: the correct gradient is 0 by construction
    sel = atlas.sel(model="stg_liu1998", design="nominal_steps", solver="tsit5", rtol=1e-3)
    # ("method" is also a keyword of .sel, so select it with a dict)
    assert float(sel["error"].sel({"method": "forward_sensitivity"})) >= 0.1
    assert float(sel["error"].sel({"method": "forward_jvp"})) <= 1e-6
    assert str(sel["regime"].sel({"method": "forward_jvp"}).values) == "accurate"

    # the sweep file carries per-parameter gradients and the reference
    cell = xr.open_dataset(clean_run / "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc")
    assert cell["grad"].dims == ("rtol", "param") and cell.sizes["param"] == 8
    assert "ref_grad" in cell
    assert (clean_run / "results/benchmarks/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.tsv").exists()
    assert (clean_run / "logs/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.log").exists()


def test_noop_rerun_does_nothing(clean_run):
    proc = snakemake(clean_run, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_kill_and_rerun_incomplete_gives_the_same_atlas(clean_run, tmp_path):
    """Interrupt a run halfway, resume with --rerun-incomplete: the atlas equals an
    uninterrupted run's in every variable except timings (also: two clean runs agree)."""
    work = make_workdir(tmp_path / "run_b", TINY)
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(ROOT / ".cache" / "jax-tests")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "tiny.yaml"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and not list((work / "results").glob("sweeps/**/*.nc")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # snakemake ignores SIGTERM while jobs run
    proc.wait(timeout=120)
    assert not (work / "results" / "atlas.nc").exists(), "the run was not interrupted halfway"
    snakemake(work, "--rerun-incomplete")
    assert_same_atlas(
        xr.open_dataset(clean_run / "results" / "atlas.nc"),
        xr.open_dataset(work / "results" / "atlas.nc"),
    )


def test_corrupt_sweep_file_fails_aggregation_naming_it(clean_run, tmp_path):
    work = tmp_path / "run_c"
    shutil.copytree(clean_run, work, ignore=shutil.ignore_patterns(".snakemake"))
    bad = work / "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    (work / "results" / "atlas.nc").unlink()
    proc = snakemake(work, "--touch", check=False)  # mark everything done but the atlas
    proc = snakemake(work, "--forcerun", "aggregate_atlas", check=False)
    assert proc.returncode != 0
    log = (work / "logs/aggregate/atlas.log").read_text()
    assert "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc" in log
    assert "truncated or corrupt" in log
    assert not (work / "results" / "atlas.nc").exists()


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"models": ["linear_decay", "lorenz96"]}, ["'models'", "lorenz96", "lorenz63", "stg_liu1998"]),
        ({"solvers": ["rk4"]}, ["'solvers'", "rk4", "tsit5", "kvaerno5"]),
        ({"designs": ["random"]}, ["'designs'", "random", "nominal_steps", "data_fit"]),
        ({"methods": ["adjoint"]}, ["'methods'", "adjoint", "backsolve_adjoint", "forward_jvp"]),
        ({"rtols": [1e-3, 0.0]}, ["rtols"]),
        ({"rtols": [1e-3, -1e-6]}, ["rtols"]),
        ({"threads": 4}, ["threads"]),
        ({"observe": {"stg_liu1998": "Vm"}}, ["observe.stg_liu1998", "Vm", "Ca"]),
    ],
)
def test_bad_config_stops_before_any_job(tmp_path, change, expected):
    work = make_workdir(tmp_path, {**TINY, **change})
    proc = snakemake(work, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for text in expected:
        assert text in out, (text, out[-2000:])
    assert not (work / "results").exists()


def test_lint_and_format_are_clean():
    lint = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Congratulations" in lint.stdout + lint.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
