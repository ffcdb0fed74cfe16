"""End-to-end: the real Snakemake pipeline on the quick grid, its faults and its config checks."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from gradatlas.config import ConfigError, validate

from conftest import QUICK, ROOT, make_workdir, planned_jobs, quick_config, snakemake

TIMINGS = {"run_time", "compile_time", "trace_time", "warmup_time"}
#: what differs between two runs of the same grid by design: timings, and the code's provenance
NOT_COMPARED = TIMINGS | {"source_hash", "git_dirty"}
#: the jobs a change of the scoring thresholds may rerun: the aggregation and what follows it
AFTER_AGGREGATION = {"aggregate_atlas", "plot_figure", "write_summary", "evaluate_claims", "all"}


def assert_same_atlas(a: xr.Dataset, b: xr.Dataset):
    assert set(a.data_vars) == set(b.data_vars)
    for v in set(a.data_vars) - NOT_COMPARED:
        xr.testing.assert_equal(a[v], b[v])


def copy_run(src: Path, dst: Path) -> Path:
    """A copy of a finished run (with Snakemake's metadata, so reruns are judged as in place)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


def test_atlas_contents(pipeline_run):
    atlas = xr.open_dataset(pipeline_run / "results" / "atlas.nc")
    config = yaml.safe_load((ROOT / QUICK).read_text())
    assert atlas["error"].dims == ("model", "design", "solver", "method", "rtol")
    variables = (
        "error",
        "status",
        "regime",
        "run_time",
        "compile_time",
        "n_steps",
        "n_rejected",
        "source_hash",
    )
    assert set(variables) <= set(atlas.variables)
    for name, var in atlas.variables.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    for key in ("version_gradatlas", "version_jax", "version_jaxlib", "version_diffrax",
                "version_equinox", "git_commit", "git_dirty", "source_hash", "config_hash", "machine",
                "history"):  # fmt: skip
        assert atlas.attrs.get(key), key
    assert atlas.attrs["mixed_code"] == "no"

    # every configured cell exactly once, failures and exclusions included
    table = pd.read_csv(pipeline_run / "results" / "atlas.csv")
    n_cells = np.prod([len(config[k]) for k in ("models", "designs", "solvers", "methods", "rtols")])
    assert len(table) == n_cells
    assert not table.duplicated(["model", "design", "solver", "method", "rtol"]).any()
    excluded = table[(table.model == "logistic") & (table.method == "reverse_checkpoint")
                     & (table.design == "final_state")]  # fmt: skip
    assert set(excluded.status) == {"excluded"}
    assert set(excluded.message) == {"quick grid: one JAX method and CVODES"}

    # the origin mechanism, through the pipeline: the correct gradient is 0 by construction
    sel = atlas.sel(model="stg_liu1998", design="nominal_steps", solver="tsit5", rtol=1e-3)
    # ("method" is also a keyword of .sel, so select it with a dict)
    assert float(sel["error"].sel({"method": "forward_sensitivity"})) >= 0.1
    assert float(sel["error"].sel({"method": "forward_jvp"})) <= 1e-6
    assert str(sel["regime"].sel({"method": "forward_jvp"}).values) == "accurate"

    # the sweep file carries per-parameter gradients and timings, not scores
    cell = xr.open_dataset(pipeline_run / "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc")
    assert cell["grad"].dims == ("rtol", "param") and cell.sizes["param"] == 8
    assert not {"error", "regime", "cosine"} & set(cell.data_vars)
    assert cell.attrs["source_hash"] == atlas.attrs["source_hash"]
    assert (
        pipeline_run / "results/benchmarks/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.tsv"
    ).exists()
    assert (pipeline_run / "logs/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.log").exists()


def test_noop_rerun_does_nothing(pipeline_run):
    proc = snakemake(pipeline_run, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changing_thresholds_reruns_only_the_aggregation(pipeline_run):
    """Scoring is post-processing: new thresholds rerun the aggregation and what follows, no sweep."""
    config = quick_config(thresholds={"accurate": 1e-3, "degraded": 0.5})
    (pipeline_run / "thresholds.yaml").write_text(yaml.safe_dump(config))
    planned = planned_jobs(snakemake(pipeline_run, "-n", configfile="thresholds.yaml"))
    assert planned and set(planned) <= AFTER_AGGREGATION, planned
    assert planned["aggregate_atlas"] == 1


def test_kill_and_rerun_incomplete_gives_the_same_atlas(pipeline_run, tmp_path):
    """Interrupt a run halfway, resume with --rerun-incomplete: the atlas equals an
    uninterrupted run's in every variable except timings (also: two clean runs agree).
    Two models of the quick grid keep it short; their cells are compared with the quick run's."""
    models = ["linear_decay", "stg_liu1998"]
    work = make_workdir(tmp_path / "run_b", quick_config(models=models))
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(ROOT / ".cache" / "jax-tests")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "results/atlas.nc", "--configfile", "test.yaml"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # Ctrl-C must reach it even if this worker process ignores SIGINT (a child inherits that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.time() + 300
    while (
        time.time() < deadline and proc.poll() is None and not list((work / "results").glob("sweeps/**/*.nc"))
    ):
        time.sleep(0.2)
    assert proc.poll() is None, f"the first run ended by itself (exit {proc.returncode}) before any cell"
    assert list((work / "results").glob("sweeps/**/*.nc")), "the first run wrote no cell in 300 s"
    # one Ctrl-C (snakemake ignores SIGTERM while jobs run). Without the Snakefile's SIGINT
    # handler (gradatlas_launch.scheduling.raise_on_ctrl_c), a press that lands in one of
    # Snakemake's asyncio steps can be lost; with it, one press must do.
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("one Ctrl-C did not stop snakemake within 120 s") from None
    assert not (work / "results" / "atlas.nc").exists(), "the run was not interrupted halfway"
    snakemake(work, "--rerun-incomplete", "results/atlas.nc", configfile="test.yaml")
    assert_same_atlas(
        xr.open_dataset(pipeline_run / "results" / "atlas.nc").sel(model=models),
        xr.open_dataset(work / "results" / "atlas.nc"),
    )


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "bad",
    [
        "results/sweeps/stg_liu1998/nominal_steps/tsit5/forward_jvp.nc",  # read by the aggregation
        "results/references/linear_decay/data_fit.nc",  # read by its sweeps and its CVODES check
    ],
)
def test_a_corrupt_file_is_removed_named_and_recomputed(pipeline_run, tmp_path, bad):
    """The rule that reads a truncated file removes it and names it in one line; rerunning the
    same command recomputes it and completes the atlas, equal to the intact one."""
    work = copy_run(pipeline_run, tmp_path / "run")
    _truncate(work / bad)
    proc = snakemake(work, "--keep-going", check=False)
    assert proc.returncode != 0
    errors = [ln for log in (work / "logs").rglob("*.log") for ln in log.read_text().splitlines()
              if ln.startswith("error:") and "truncated or corrupt" in ln]  # fmt: skip
    assert len(errors) == 1, errors  # the first reader removes it; later readers find it missing
    assert bad in errors[0] and "rerun the same command" in errors[0]
    assert not (work / bad).exists()
    snakemake(work)
    assert (work / bad).exists()
    assert_same_atlas(
        xr.open_dataset(pipeline_run / "results" / "atlas.nc"), xr.open_dataset(work / "results" / "atlas.nc")
    )


@pytest.mark.parametrize(
    "missing, recomputed",
    [
        ("results/references/logistic/final_state.nc", "compute_reference"),
        ("results/sweeps/linear_decay/data_fit/tsit5/forward_jvp.nc", "run_sweep"),
        ("results/reference_checks/stg_liu1998/nominal_steps.nc", "check_reference"),
    ],
)
def test_a_plain_rerun_recomputes_a_missing_intermediate(pipeline_run, tmp_path, missing, recomputed):
    work = copy_run(pipeline_run, tmp_path / "run")
    (work / missing).unlink()
    planned = planned_jobs(snakemake(work, "-n"))
    assert planned.get(recomputed, 0) >= 1 and planned["aggregate_atlas"] == 1, planned


def test_atlas_warns_when_cells_come_from_different_code(pipeline_run, tmp_path):
    """An edit of the package, then one cell recomputed: the atlas records two source hashes
    and the aggregation warns."""
    work = copy_run(pipeline_run, tmp_path / "run")
    status = work / "workflow" / "gradatlas" / "status.py"
    status.write_text(status.read_text() + "\n# an edit\n")
    cell = "results/sweeps/linear_decay/data_fit/tsit5/forward_jvp.nc"
    snakemake(work, "--forcerun", cell, cell)
    snakemake(work, "results/atlas.nc")
    atlas = xr.open_dataset(work / "results" / "atlas.nc")
    assert atlas.attrs["mixed_code"] == "yes"
    assert len(atlas.attrs["cell_source_hashes"].split()) == 2
    assert "mixes cells computed by 2 versions" in (work / "logs/aggregate/atlas.log").read_text()


def test_jobs_run_the_checkouts_code_not_the_installed_one(tmp_path):
    """The installed gradatlas is the repository's (pip install -e .); a second copy of the
    workflow, edited, must run its own copy in every job."""
    work = make_workdir(tmp_path / "clone")
    status = work / "workflow" / "gradatlas" / "status.py"
    status.write_text(status.read_text() + "\n# the second clone's edit\n")
    snakemake(work, "results/references/linear_decay/final_state.nc")
    ref = xr.open_dataset(work / "results/references/linear_decay/final_state.nc")
    hashes = [_tree_hash(root / "workflow" / "gradatlas") for root in (work, ROOT)]
    assert hashes[0] != hashes[1]
    assert ref.attrs["source_hash"] == hashes[0]


def _tree_hash(package: Path) -> str:
    code = "import sys; from gradatlas import provenance; print(provenance.source_hash())"
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_git_dirty_flag(tmp_path):
    """A package in a git checkout is clean after a commit and dirty after an edit."""
    package = tmp_path / "clone" / "workflow"
    shutil.copytree(ROOT / "workflow", package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=package.parent, check=True)
    subprocess.run([*git, "add", "."], cwd=package.parent, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=package.parent, check=True)
    code = "from gradatlas import provenance; print(*provenance.git_state())"
    env = {**os.environ, "PYTHONPATH": str(package)}

    def state():
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.split()[1]

    assert state() == "no"
    (package / "gradatlas" / "status.py").write_text("# edited\n")
    assert state() == "yes"


def test_missing_required_keys_are_named_once():
    with pytest.raises(ConfigError) as err:
        validate({"models": ["hires"], "rtols": [1e-3]})
    assert str(err.value) == "config key(s) 'solvers', 'designs', 'methods': missing (required)"


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"models": ["linear_decay", "lorenz96"]}, ["'models'", "lorenz96", "lorenz63", "stg_liu1998"]),
        ({"solvers": ["rk4"]}, ["'solvers'", "rk4", "tsit5", "kvaerno5"]),
        ({"designs": ["random"]}, ["'designs'", "random", "nominal_steps", "data_fit"]),
        ({"methods": ["adjoint"]}, ["'methods'", "adjoint", "backsolve_adjoint", "forward_jvp"]),
        ({"rtols": [1e-3, 0.0]}, ["'rtols[1]'", "0.0", "minimum"]),
        ({"rtols": [1e-3, -1e-6]}, ["'rtols[1]'", "-1e-06", "minimum"]),
        ({"rtols": [1e-3, 1.0]}, ["'rtols[1]'", "1.0", "exclusiveMaximum"]),
        ({"rtols": [1e-3, 1e-15]}, ["'rtols[1]'", "1e-15", "minimum: 1e-14"]),
        ({"reference": {"rtol": 1e-16}}, ["'reference.rtol'", "1e-16", "minimum"]),
        ({"threads": 4}, ["'threads'", "unknown key"]),
        ({"observe": {"stg_liu1998": "Vm"}}, ["observe.stg_liu1998", "Vm", "Ca"]),
        ({"thresholds": {"accurate": 0.2, "degraded": 0.1}}, ["'thresholds'", "accurate (0.2)", "degraded (0.1)"]),
        ({"solvers_by_model": {"linear_decay": ["tsit5", "kvaerno5"]}},
         ["'solvers_by_model.linear_decay'", "kvaerno5", "not in 'solvers'"]),
        ({"origin_case": {"models": ["stg_liu1998_set_c"]}}, ["'origin_case.models'", "stg_liu1998_set_c"]),
        ({"model_files": ["my_models/missing.py"]}, ["'model_files[0]'", "my_models/missing.py", "working directory"]),
        ({"rtols_by_model": {"logistic": [1e-6]}}, ["'rtols_by_model.logistic'", "1e-06", "would run at none"]),
        ({"max_steps_by_model": {"lorenz96": 1000}}, ["'max_steps_by_model'", "lorenz96", "lorenz63"]),
        ({"reference": {"by_model": {"logistic": {"check_rtol": 1e-12}}}},
         ["'reference.by_model.logistic'", "check_rtol (1e-12)", "looser than rtol (1e-12)"]),
        ({"exclude": []}, ["design 'petab_fit' needs a PEtab problem", "linear_decay"]),
    ],
)  # fmt: skip
def test_bad_config_stops_before_any_job(tmp_path, change, expected):
    work = make_workdir(tmp_path, quick_config(**change))
    proc = snakemake(work, "-n", check=False, configfile="test.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for text in expected:
        assert text in out, (text, out[-2000:])
    (line,) = [ln for ln in out.splitlines() if "invalid config:" in ln]
    assert len(line) < 400, "a config error is one short line"
    assert not (work / "results").exists()


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    work = make_workdir(tmp_path)
    config = work / "config" / "config.yaml"
    lines = config.read_text().splitlines()
    lines[12] = "\t" + lines[12].lstrip()  # a tab, which YAML forbids, starts line 13
    config.write_text("\n".join(lines) + "\n")
    proc = snakemake(work, "-n", check=False, configfile=None)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(r"config/config\.yaml: YAML syntax error at line 13, column 1", out), out[-2000:]
    check = subprocess.run([sys.executable, "-m", "gradatlas", "check-config", "config/config.yaml"], cwd=work,
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 2 and "YAML syntax error at line 13" in check.stderr, check.stderr


def test_check_config_accepts_a_file():
    proc = subprocess.run([sys.executable, "-m", "gradatlas", "check-config", QUICK], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0 and "config ok" in proc.stdout, proc.stderr


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
    config = quick_config(models=["linear_decay"], solvers=["bosh3"], designs=["data_fit", "final_state"],
                          exclude=[], methods=["forward_jvp"])  # fmt: skip
    work = make_workdir(tmp_path, config)
    assert planned_jobs(snakemake(work, "-n", configfile="test.yaml"))["run_sweep"] == 2


def test_subset_of_the_paper_grid_keeps_only_its_solvers(tmp_path):
    """The README's subset example: the paper grid's per-model solver lists apply, and the
    atlas's solver axis holds only the solvers some chosen model runs with."""
    work = make_workdir(tmp_path)
    proc = snakemake(work, "-n", "--config", "models=[lotka_volterra,stg_liu1998]", "rtols=[1e-3,1e-6,1e-9]",
                     configfile=None)  # fmt: skip
    planned = set(re.findall(r"model=(\w+), design=\w+, solver=(\w+), method=\w+", proc.stdout))
    paper = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    by_model = {m: set(paper["solvers_by_model"][m]) for m in ("lotka_volterra", "stg_liu1998")}
    assert {m for m, _ in planned} == set(by_model)
    for m, solvers in by_model.items():
        assert {sv for mm, sv in planned if mm == m} == solvers
    from gradatlas import settings
    from gradatlas.config import with_defaults
    from gradatlas.models import MODELS

    s = settings.atlas_settings(
        with_defaults({**paper, "models": ["lotka_volterra", "stg_liu1998"]}),
        {m: MODELS[m] for m in ("lotka_volterra", "stg_liu1998")},
    )
    assert set(s.solvers) == set().union(*by_model.values())
