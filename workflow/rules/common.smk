import json
import shlex
import sys
from pathlib import Path

from snakemake.utils import validate

# The library is installed with `pip install -e .`; this also makes a plain
# checkout work.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from gradatlas.grid import (  # noqa: E402
    ConfigError,
    check_config,
    coerce_cli_values,
    jobs,
    observe_for,
)

coerce_cli_values(config)
validate(config, schema="../schemas/config.schema.yaml")
try:
    check_config(config)
except (ConfigError, ValueError, FileNotFoundError) as e:
    raise WorkflowError(f"invalid config: {e}")

JOBS = jobs(config)
# Rules run `EQX_ON_ERROR=nan python -m gradatlas_launch ...`: equinox reads the
# variable at import, and it lets the JAX compilation cache store diffrax
# programs (see gradatlas.runtime). gradatlas_launch runs `python -m gradatlas ...`
# forked from a warm process that has done the imports once (see its docstring;
# GRADATLAS_FORKSERVER=0 turns that off).


wildcard_constraints:
    model="[a-z][a-z0-9_]*",
    design="[a-z][a-z0-9_]*",
    solver="[a-z][a-z0-9_]*",
    method="[a-z][a-z0-9_]*",


FIGURES = ["regime_map", "error_vs_tolerance", "work_precision", "failure_map"]


def get_figure_files(wildcards):
    return [
        f"results/figures/{name}.{ext}"
        for name in FIGURES
        for ext in ("svg", "pdf", "png", "findings.html")
    ]


def get_origin_tables(wildcards):
    return [f"results/origin_case/{m}.csv" for m in config["origin_case"]["models"]]


def get_origin_settings(wildcards):
    keys = ("rtol", "n_obs", "max_steps")
    settings = {k: config["origin_case"][k] for k in keys}
    return shlex.quote(json.dumps(settings, sort_keys=True))


def get_chaos_settings(wildcards):
    settings = {
        "horizons": config["origin_case"]["horizons"],
        "rtols": config["origin_case"]["chaos_rtols"],
        "thresholds": config["thresholds"],
    }
    return shlex.quote(json.dumps(settings, sort_keys=True))


def get_reference(wildcards):
    return f"results/references/{wildcards.model}/{wildcards.design}.nc"


def get_reference_settings(wildcards):
    settings = {
        "observe": observe_for(config, wildcards.model),
        "n_obs": config["n_obs"],
        "seed": config["seed"],
        "delta": config["delta"],
        "reference": config["reference"],
    }
    return shlex.quote(json.dumps(settings, sort_keys=True))


def get_sweep_settings(wildcards):
    settings = {
        "observe": observe_for(config, wildcards.model),
        "rtols": config["rtols"],
        "max_steps": config["max_steps"],
        "repeats": config["repeats"],
        "repeat_below": config["repeat_below"],
        "thresholds": config["thresholds"],
    }
    return shlex.quote(json.dumps(settings, sort_keys=True))


def get_sweep_files(wildcards):
    return [
        f"results/sweeps/{c.model}/{c.design}/{c.solver}/{c.method}.nc" for c in JOBS
    ]


def get_reference_check_files(wildcards):
    pairs = sorted({(c.model, c.design) for c in JOBS})
    return [f"results/reference_checks/{m}/{d}.nc" for m, d in pairs]


def get_atlas_config(wildcards):
    return shlex.quote(json.dumps(config, sort_keys=True))
