import os
import shlex
import sys
from pathlib import Path

# Jobs run this checkout's library, whatever else is installed: the package is imported
# from the workflow's own workflow/ folder, here and (through PYTHONPATH, which every
# job inherits, on a cluster too) in every job.
WORKFLOW_DIR = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, WORKFLOW_DIR)

from gradatlas.runtime import prefer_package_dir  # noqa: E402

prefer_package_dir(WORKFLOW_DIR)

import gradatlas_launch  # noqa: E402
from gradatlas_launch.scheduling import drop_default_rate_limiter  # noqa: E402
from gradatlas_launch.scheduling import raise_on_ctrl_c  # noqa: E402

# one Ctrl-C stops the run (gradatlas_launch/scheduling.py says how Snakemake could lose it)
if workflow.is_main_process:
    raise_on_ctrl_c()

# The jobs' fork server imports jax and the rest while the config is checked and the job
# graph built (the rules run `EQX_ON_ERROR=nan python -m gradatlas_launch ...`).
if workflow.is_main_process and gradatlas_launch.runs_local_jobs(sys.argv[1:]):
    gradatlas_launch.prestart("python", {**os.environ, "EQX_ON_ERROR": "nan"})

from gradatlas import paths  # noqa: E402
from gradatlas import settings as S  # noqa: E402
from gradatlas.config import (
    ConfigError,
    coerce_cli_values,
    load_yaml,
    validate,
)  # noqa: E402
from gradatlas.grid import Cell, check_config, jobs  # noqa: E402

# The paper grid is the default. A config given with --configfile replaces it
# (instead of being merged into it, which would leak paper-grid keys such as
# solvers_by_model into a smaller grid). Snakemake's own loader reports a YAML
# syntax error without its position, so the default file is read here first.
DEFAULT_CONFIG = "config/config.yaml"
if not workflow.overwrite_configfiles:
    try:
        load_yaml(Path(workflow.basedir) / DEFAULT_CONFIG)
    except ConfigError as e:
        raise WorkflowError(str(e))

    configfile: DEFAULT_CONFIG


# The schema's defaults are the only defaults; a violation is one line naming the key.
coerce_cli_values(config)
try:
    validate(config)
    CHECKED = check_config(config)
except (ConfigError, ValueError, TypeError) as e:
    raise WorkflowError(f"invalid config: {e}")
MODEL_FILES = CHECKED.model_files  # {model slug: the user file that defines it}
for _warning in CHECKED.warnings:
    print(f"gradatlas warning: {_warning}", file=sys.stderr)

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


def _json(settings):
    return shlex.quote(settings.to_json())


def _models():
    from gradatlas.models import MODELS

    return {m: MODELS[m] for m in config["models"]}


def get_model_file(wildcards):
    """The user file a model comes from: an input of every job whose output depends on it."""
    path = MODEL_FILES.get(wildcards.model)
    return [path] if path else []


def get_reference_settings(wildcards):
    return _json(
        S.reference_settings(
            config, wildcards.model, wildcards.design, MODEL_FILES.get(wildcards.model)
        )
    )


def get_sweep_settings(wildcards):
    cell = Cell(wildcards.model, wildcards.design, wildcards.solver, wildcards.method)
    return _json(S.sweep_settings(config, cell, MODEL_FILES.get(wildcards.model)))


def get_atlas_settings(wildcards):
    return _json(S.atlas_settings(config, _models()))


def get_origin_settings(wildcards):
    return _json(S.origin_settings(config, wildcards.stg_model))


def get_chaos_settings(wildcards):
    return _json(S.chaos_settings(config))


def get_reference(wildcards):
    return paths.reference(wildcards.model, wildcards.design)


def get_sweep_files(wildcards):
    return [paths.sweep(c.model, c.design, c.solver, c.method) for c in JOBS]


def _reference_pairs():
    return sorted({(c.model, c.design) for c in JOBS})


def get_reference_files(wildcards):
    return [paths.reference(m, d) for m, d in _reference_pairs()]


def get_reference_check_files(wildcards):
    return [paths.reference_check(m, d) for m, d in _reference_pairs()]


def get_missing_intermediates(wildcards):
    """Intermediate files that were deleted after the atlas was built. Snakemake does not
    recompute a missing intermediate while everything after it is up to date, so the
    default targets ask for them: a plain rerun recomputes them, and what depends on them.
    """
    if not os.path.exists(paths.ATLAS):
        return []
    files = get_sweep_files(wildcards) + get_reference_files(wildcards)
    return [
        f for f in files + get_reference_check_files(wildcards) if not os.path.exists(f)
    ]


def get_output_dir(wildcards, output):
    return os.path.dirname(output[0])


def get_figure_files(wildcards):
    return [
        paths.figure(name, ext)
        for name in FIGURES
        for ext in ("svg", "pdf", "png", "findings.html")
    ]


def get_origin_tables(wildcards):
    return [
        paths.ORIGIN_TABLE.format(stg_model=m) for m in config["origin_case"]["models"]
    ]


def stop_rescheduling_timers():
    """Snakemake's scheduler arms a 1-second ``threading.Timer`` after scheduling rounds (its
    job-rate limiter, ``--max-jobs-per-timespan``, whose timespan cannot be shorter than 1 s)
    and the interpreter waits for every armed timer before it exits: ~2 s after the last job
    of every run (measured). Once the workflow has ended nothing is left to reschedule, so
    the handlers below cancel them and the command returns at once."""
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


onstart:
    # without it, the limiter's timers would run one more scheduling round a second for
    # every finished job (gradatlas_launch/scheduling.py says why and what that cost)
    drop_default_rate_limiter(workflow)


onsuccess:
    stop_rescheduling_timers()


onerror:
    stop_rescheduling_timers()
