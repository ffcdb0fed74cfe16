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


def random_states(model, n, seed=0):
    """States spread around y0, scaled per component, for vector-field checks."""
    rng = np.random.default_rng(seed)
    y0 = np.asarray(model.y0)
    spread = np.maximum(np.abs(y0), 0.1)
    return y0 + spread * rng.uniform(-0.5, 0.5, size=(n, model.n_states))


@pytest.fixture(scope="session")
def lv_reference():
    return ga.compute_reference("lotka_volterra", "data_fit", rtol=1e-11, check_rtol=1e-9)


ROOT = Path(__file__).resolve().parents[1]

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
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--configfile", "tiny.yaml"]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """One complete run of the real pipeline (snakemake itself) on the tiny grid."""
    work = make_workdir(tmp_path_factory.mktemp("run_a"), TINY)
    snakemake(work, "atlas_figures")
    return work
