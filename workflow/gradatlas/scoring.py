"""Score a gradient against a reference, and label its regime.

* Designs scored against the local gradient scale: those whose correct gradient is zero
  by construction (``nominal_steps``, ``uniform``, ``uniform_clipped``: g_ref = 0) and
  ``petab_fit`` (a published best fit, g_ref near zero): ``error = ||g - g_ref|| / scale``,
  where the local gradient scale is the reference gradient norm 1e-3 off the point
  (for the zero-gradient designs at p0 (1 + 1e-3), with targets from the reference
  solution at p0). Cosine similarity is NaN where g_ref = 0.
* Other designs: ``error = ||g - g_ref|| / ||g_ref||``.

When the reference's own estimated relative error exceeds
``thresholds.reference_max_error`` the cell is ``no_reference``: not scored.

Scoring happens when the atlas is built (and in the origin-case experiments), never
inside a sweep job: the thresholds are post-processing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .settings import Thresholds
from .status import Regime, Status


@dataclass(frozen=True)
class Score:
    error: float
    cosine: float
    max_param_error: float
    regime: Regime


@dataclass(frozen=True)
class CellScores:
    error: np.ndarray  # (R,)
    cosine: np.ndarray
    max_param_error: np.ndarray
    regime: list[str]


def score(grad, ref_grad, scale, against_scale, ref_error, status, t: Thresholds) -> Score:
    nan = float("nan")
    if status == Status.UNSUPPORTED:
        return Score(nan, nan, nan, Regime.UNSUPPORTED)
    if status != Status.OK:
        return Score(nan, nan, nan, Regime.FAILED)
    if not np.isfinite(ref_error) or ref_error > t.reference_max_error or not scale > 0:
        return Score(nan, nan, nan, Regime.NO_REFERENCE)
    g = np.asarray(grad, float)
    r = np.asarray(ref_grad, float)
    if against_scale:
        error = float(np.linalg.norm(g - r) / scale)
        denom = np.linalg.norm(g) * np.linalg.norm(r)
        cosine = float(g @ r / denom) if denom > 0 else nan
        max_param = float(np.max(np.abs(g - r)) / scale)
    else:
        error = float(np.linalg.norm(g - r) / np.linalg.norm(r))
        denom = np.linalg.norm(g) * np.linalg.norm(r)
        cosine = float(g @ r / denom) if denom > 0 else nan
        with np.errstate(divide="ignore", invalid="ignore"):
            max_param = float(np.max(np.abs(g - r) / np.abs(r)))
    if error <= t.accurate:
        regime = Regime.ACCURATE
    elif error <= t.degraded:
        regime = Regime.DEGRADED
    else:
        regime = Regime.WRONG
    return Score(error, cosine, max_param, regime)


def score_cell(grads, statuses, reference, t: Thresholds) -> CellScores:
    """Score every tolerance of a cell (``grads`` (R, P), ``statuses`` (R,)) against a
    :class:`~gradatlas.reference.Reference`; a failed reference scores as no_reference."""
    ref_error = reference.error if reference.status == Status.OK else np.inf
    scores = [
        score(g, reference.grad, reference.scale, reference.against_scale, ref_error, Status(st), t)
        for g, st in zip(grads, statuses, strict=True)
    ]
    return CellScores(
        error=np.array([x.error for x in scores]),
        cosine=np.array([x.cosine for x in scores]),
        max_param_error=np.array([x.max_param_error for x in scores]),
        regime=[x.regime.value for x in scores],
    )
