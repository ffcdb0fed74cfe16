"""Shared helpers, built from the registries so new parts are tested without editing tests."""

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

import gradatlas as ga

warnings.filterwarnings("ignore", message=".*Complex dtype.*")

ALL_MODELS = ga.MODELS.slugs()
ALL_METHODS = ga.METHODS.slugs()
ALL_DESIGNS = ga.DESIGNS.slugs()
ALL_SOLVERS = ga.SOLVERS.slugs()

# Re-runs of the suite reuse compiled programs (as the pipeline does). equinox
# reads EQX_ON_ERROR at import, so this only takes effect when the test command
# sets it; otherwise the cache is left alone.
if os.environ.get("EQX_ON_ERROR") == "nan":
    import jax

    jax.config.update("jax_compilation_cache_dir", os.path.abspath(".cache/jax-tests"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the marks into the node ids
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, the tests that share a module- or session-scoped fixture run on one
    worker, so that the fixture (the quick-grid run above all) is computed once."""
    for item in items:
        defs = getattr(item, "_fixtureinfo", None)
        defs = defs.name2fixturedefs if defs else {}
        shared = sorted(
            f"{defs[name][-1].baseid}::{name}"
            for name in item.fixturenames
            if name in defs and defs[name][-1].scope in ("module", "session")
            and defs[name][-1].baseid  # pytest's and plugins' own fixtures have none
        )  # fmt: skip
        if shared:
            pipeline = [g for g in shared if g.endswith("::pipeline_run")]
            item.add_marker(pytest.mark.xdist_group((pipeline or shared)[0]))


def random_states(model, n, seed=0):
    """States spread around y0, scaled per component, for vector-field checks."""
    rng = np.random.default_rng(seed)
    y0 = np.asarray(model.y0)
    spread = np.maximum(np.abs(y0), 0.1)
    return y0 + spread * rng.uniform(-0.5, 0.5, size=(n, model.n_states))


@pytest.fixture
def throwaway_method():
    """Register a test's own method for the test only: ``throwaway_method(method)``. A method
    left in the registry would appear in later tests of the same worker (the check verdict)."""
    added = []

    def register(method):
        ga.register_method(method)
        added.append(method.slug)

    yield register
    for slug in added:
        ga.METHODS.unregister(slug)


@pytest.fixture(scope="session")
def lv_reference():
    from helpers import reference

    return reference("lotka_volterra", "data_fit", rtol=1e-11, check_rtol=1e-9)


ROOT = Path(__file__).resolve().parents[1]
QUICK = "config/quick.yaml"
#: what a fresh copy of the workflow needs (what a user's clone holds)
COPIED = ("Snakefile", "workflow", "config", "envs", "examples", "resources")


def make_workdir(path: Path, config: dict | None = None) -> Path:
    """A fresh copy of the workflow in ``path``; ``config`` (if given) is written to test.yaml."""
    path.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy(src, path / name)
    if config is not None:
        (path / "test.yaml").write_text(yaml.safe_dump(config))
    return path


def quick_config(**changes) -> dict:
    """config/quick.yaml with some keys replaced."""
    return {**yaml.safe_load((ROOT / QUICK).read_text()), **changes}


def snakemake(workdir: Path, *args, check=True, configfile=QUICK, cores=2, **kwargs):
    env = {**os.environ, "GRADATLAS_JAX_CACHE": str(ROOT / ".cache" / "jax-tests")}
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    if configfile:
        cmd += ["--configfile", configfile]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


def planned_jobs(proc) -> dict[str, int]:
    """The job counts of a dry run's "Job stats" table."""
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    counts = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The README's quick-grid command, as written, in a fresh copy of the workflow."""
    work = make_workdir(tmp_path_factory.mktemp("quick"))
    snakemake(work)
    return work
