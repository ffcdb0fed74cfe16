"""Where results live: the one place that owns the path patterns of the pipeline's files.

Rules use these patterns as their outputs (Snakemake fills the ``{wildcards}``), and
input functions format them; nothing else builds a result path. Paths are relative
to the working directory Snakemake runs in.
"""

from __future__ import annotations

RESULTS = "results"

REFERENCE = "results/references/{model}/{design}.nc"
REFERENCE_CHECK = "results/reference_checks/{model}/{design}.nc"
SWEEP = "results/sweeps/{model}/{design}/{solver}/{method}.nc"

ATLAS = "results/atlas.nc"
ATLAS_CSV = "results/atlas.csv"
REFERENCE_CHECK_TABLE = "results/reference_check.csv"
REFERENCE_CHECK_HTML = "results/reference_check.html"
CLAIMS = "results/claims.csv"
CLAIMS_HTML = "results/claims.html"
SUMMARY = "results/summary.csv"
FIGURES_DIR = "results/figures"
FIGURE = "results/figures/{figure}.{ext}"

ORIGIN_DIR = "results/origin_case"
ORIGIN_TABLE = "results/origin_case/{stg_model}.csv"
ORIGIN_SUMMARY = "results/origin_case/table.csv"
CHAOS = "results/origin_case/chaos.nc"


def reference(model: str, design: str) -> str:
    return REFERENCE.format(model=model, design=design)


def reference_check(model: str, design: str) -> str:
    return REFERENCE_CHECK.format(model=model, design=design)


def sweep(model: str, design: str, solver: str, method: str) -> str:
    return SWEEP.format(model=model, design=design, solver=solver, method=method)


def figure(name: str, ext: str) -> str:
    return FIGURE.format(figure=name, ext=ext)
