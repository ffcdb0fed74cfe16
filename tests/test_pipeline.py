"""End-to-end: the real Snakemake pipeline on a tiny grid, its faults and its config checks."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import xarray as xr

from conftest import ROOT, TINY, make_workdir, snakemake

TIMINGS = {"run_time", "compile_time", "trace_time"}


def assert_same_atlas(a: xr.Dataset, b: xr.Dataset):
    assert set(a.data_vars) == set(b.data_vars)
    for v in set(a.data_vars) - TIMINGS:
        xr.testing.assert_equal(a[v], b[v])


def test_atlas_contents(pipeline_run):
    atlas = xr.open_dataset(pipeline_run / "results" / "atlas.nc")
    assert atlas["error"].dims == ("model", "design", "solver", "method", "rtol")
    for v in ("error", "status", "regime", "run_time", "compile_time", "n_steps", "n_rejected"):
        assert v in atlas
    for name, var in atlas.variables.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    for key in ("version_gradatlas", "version_jax", "version_jaxlib", "version_diffrax",
                "version_equinox", "git_commit", "config_hash", "machine", "history"):  # fmt: skip
        assert atlas.attrs.get(key), key

    # every configured cell exactly once, failures and exclusions included
    table = __import__("pandas").read_csv(pipeline_run / "results" / "atlas.csv")
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
    cell = xr.open_dataset(pipeline_run / "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc")
    assert cell["grad"].dims == ("rtol", "param") and cell.sizes["param"] == 8
    assert "ref_grad" in cell
    assert (
        pipeline_run / "results/benchmarks/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.tsv"
    ).exists()
    assert (pipeline_run / "logs/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.log").exists()


def test_noop_rerun_does_nothing(pipeline_run):
    proc = snakemake(pipeline_run, "-n", "atlas_figures")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_kill_and_rerun_incomplete_gives_the_same_atlas(pipeline_run, tmp_path):
    """Interrupt a run halfway, resume with --rerun-incomplete: the atlas equals an
    uninterrupted run's in every variable except timings (also: two clean runs agree)."""
    work = make_workdir(tmp_path / "run_b", TINY)
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(ROOT / ".cache" / "jax-tests")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "atlas_figures", "--configfile", "tiny.yaml"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and not list((work / "results").glob("sweeps/**/*.nc")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # snakemake ignores SIGTERM while jobs run
    proc.wait(timeout=120)
    assert not (work / "results" / "atlas.nc").exists(), "the run was not interrupted halfway"
    snakemake(work, "--rerun-incomplete", "atlas_figures")
    assert_same_atlas(
        xr.open_dataset(pipeline_run / "results" / "atlas.nc"),
        xr.open_dataset(work / "results" / "atlas.nc"),
    )


def test_corrupt_sweep_file_fails_aggregation_naming_it(pipeline_run, tmp_path):
    work = tmp_path / "run_c"
    shutil.copytree(pipeline_run, work, ignore=shutil.ignore_patterns(".snakemake"))
    bad = work / "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    (work / "results" / "atlas.nc").unlink()
    proc = snakemake(work, "--forcerun", "aggregate_atlas", "results/atlas.nc", check=False)
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


def test_configfile_replaces_the_paper_grid(tmp_path):
    """--configfile must not inherit paper-grid keys (e.g. solvers_by_model, which
    would silently exclude bosh3 for linear_decay here)."""
    config = {**TINY, "models": ["linear_decay"], "solvers": ["bosh3"], "exclude": [],
              "methods": ["forward_jvp"]}  # fmt: skip
    work = make_workdir(tmp_path, config)
    proc = snakemake(work, "-n")
    assert re.search(r"run_sweep\s+1\b", proc.stdout), proc.stdout[-2000:]
