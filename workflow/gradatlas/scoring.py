"""Score a gradient against a reference, and label its regime.

* Designs whose correct gradient is zero by construction (``nominal_steps``,
  ``uniform``, ``uniform_clipped``): ``error = ||g|| / scale``, where the local
  gradient scale is the reference gradient norm at p0 (1 + 1e-3) (targets from
  the reference solution at p0). Cosine similarity is undefined (NaN).
* Other designs: ``error = ||g - g_ref|| / ||g_ref||``.

When the reference's own estimated relative error exceeds
``thresholds["reference_max_error"]`` the cell is ``no_reference``: not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .status import Regime, Status

DEFAULT_THRESHOLDS = {"accurate": 1e-2, "degraded": 1e-1, "reference_max_error": 1e-2}


@dataclass(frozen=True)
class Score:
    error: float
    cosine: float
    max_param_error: float
    regime: Regime


def score(grad, ref_grad, scale, zero_gradient, ref_error, status, thresholds=None) -> Score:
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    nan = float("nan")
    if status == Status.UNSUPPORTED:
        return Score(nan, nan, nan, Regime.UNSUPPORTED)
    if status != Status.OK:
        return Score(nan, nan, nan, Regime.FAILED)
    if not np.isfinite(ref_error) or ref_error > t["reference_max_error"] or not scale > 0:
        return Score(nan, nan, nan, Regime.NO_REFERENCE)
    g = np.asarray(grad, float)
    r = np.asarray(ref_grad, float)
    if zero_gradient:
        error = float(np.linalg.norm(g) / scale)
        cosine = nan
        max_param = float(np.max(np.abs(g)) / scale)
    else:
        error = float(np.linalg.norm(g - r) / np.linalg.norm(r))
        denom = np.linalg.norm(g) * np.linalg.norm(r)
        cosine = float(g @ r / denom) if denom > 0 else nan
        with np.errstate(divide="ignore", invalid="ignore"):
            max_param = float(np.max(np.abs(g - r) / np.abs(r)))
    if error <= t["accurate"]:
        regime = Regime.ACCURATE
    elif error <= t["degraded"]:
        regime = Regime.DEGRADED
    else:
        regime = Regime.WRONG
    return Score(error, cosine, max_param, regime)
