"""Test helpers: library calls with the schema's defaults (the pipeline's one source), overridden per test."""

import gradatlas as ga
from gradatlas import settings

#: the schema's defaults, as a pipeline job would get them
DEFAULTS = settings.schema_defaults()
THRESHOLDS = settings.thresholds(DEFAULTS)

reference_settings = settings.for_reference
sweep_settings = settings.for_cell


def reference(model, design, observe="all", **fields) -> ga.Reference:
    """``compute_reference`` with the schema's defaults; ``fields`` override ReferenceSettings."""
    return ga.compute_reference(settings.for_reference(model, design, observe, **fields))


def cell(model, solver, design, method, rtols, ref, *, max_traces=None, **fields) -> ga.CellResult:
    """``run_cell`` with the schema's defaults; ``fields`` override SweepSettings."""
    return ga.run_cell(
        settings.for_cell(model, solver, design, method, rtols, **fields), ref, max_traces=max_traces
    )


def scores(cell_result, ref, thresholds=THRESHOLDS):
    """Score a cell as the aggregation does, with the default thresholds."""
    return ga.score_cell(cell_result.grad, cell_result.status, ref, thresholds)
