"""Figures: one module per figure, one shared style (``_style``). Each ``plot(atlas, outdir)``
reads the atlas and writes ``outdir/<name>.{svg,pdf,png}``."""

from . import error_vs_tolerance, failure_map, regime_map, work_precision

FIGURES = {
    "regime_map": regime_map.plot,
    "error_vs_tolerance": error_vs_tolerance.plot,
    "work_precision": work_precision.plot,
    "failure_map": failure_map.plot,
}

__all__ = ["FIGURES"]
