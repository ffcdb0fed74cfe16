"""The conclusions gradatlas draws, each one a query over the atlas.

A :class:`Claim` is a sentence and a query. The query selects the units the sentence
is about (single cells ``model/design/solver/method @ rtol``, or a cell's series over
the tolerances) and sorts them into those that *support* it and those that
*contradict* it. Over an atlas the claim is ``supported`` when at least one unit
supports it and none contradicts it, ``contradicted`` when any unit contradicts it,
and ``no cells`` when the atlas holds none of its units (a smaller grid). Excluded,
unsupported and no_reference cells carry no score and are never counted.

The README's answers to the thread's four questions and every figure's "what the
atlas shows" are rendered from these claims (``gradatlas claims --readme``), and
``tests/test_claims.py`` evaluates them all on the quick-grid atlas: a sentence the
atlas contradicts cannot stay.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

DIMS = ("model", "design", "solver", "method", "rtol")
SCORED = ("accurate", "degraded", "wrong")
NOT_COUNTED = ("excluded", "unsupported", "no_reference")

#: where the claims appear: the thread's four questions, then one block per figure
QUESTIONS = {
    "q1": "How do stiffness and solution accuracy translate into forward-gradient error?",
    "q2": "Which functions of the solution give accurate forward gradients?",
    "q3": "When does forward-mode AD through an ODE bring heartache?",
    "q4": "Where does the mathematical treatment live?",
}


@dataclass(frozen=True)
class Claim:
    id: str
    where: str  # "q1" ... "q4", or a figure name
    text: str
    #: atlas -> (supporting units, contradicting units), each a list of names
    query: Callable[[xr.Dataset], tuple[list[str], list[str]]]
    unit: str = "cell"


# ---- selections and the queries built from them ----
def select(atlas: xr.Dataset, rtols=(1.0, 0.0), exclude: dict | None = None, **coords) -> xr.Dataset:
    """The atlas restricted to the given coordinate values (a value or a list each; dims or the
    per-model/per-method coordinates), without the values in ``exclude`` (same form), and to
    tolerances in [rtols[1], rtols[0]]."""
    sel = atlas
    for keep, items in ((True, coords), (False, exclude or {})):
        for key, values in items.items():
            values = [values] if isinstance(values, str) else list(values)
            dim = key if key in sel.dims else sel[key].dims[0]
            sel = sel.isel({dim: np.isin(sel[key].values.astype(str), values) == keep})
    r = sel["rtol"].values
    return sel.isel(rtol=(r <= rtols[0] * (1 + 1e-9)) & (r >= rtols[1] * (1 - 1e-9)))


def _series(sel: xr.Dataset):
    """(name, regimes (R,), errors (R,), rtols (R,)) of every cell of a selection."""
    if not all(sel.sizes[d] for d in DIMS):
        return
    reg = sel["regime"].transpose(*DIMS).values.astype(str)
    err = sel["error"].transpose(*DIMS).values
    names = [sel[d].values for d in DIMS[:4]]
    for idx in np.ndindex(reg.shape[:4]):
        yield "/".join(str(names[k][idx[k]]) for k in range(4)), reg[idx], err[idx], sel["rtol"].values


def _per_entry(verdict, rtols, coords):
    """A query that judges every (cell, tolerance) entry of the selection on its own:
    ``verdict(regime, error)`` is True (supports), False (contradicts) or None (not counted)."""

    def query(atlas):
        support, against = [], []
        for name, reg, err, rt in _series(select(atlas, rtols, **coords)):
            for r, e, tol in zip(reg, err, rt, strict=True):
                v = verdict(r, e)
                if v is not None:
                    (support if v else against).append(f"{name} @ {tol:.0e}")
        return support, against

    return query


def per_cell(regimes: tuple[str, ...], rtols=(1.0, 0.0), **coords):
    """Every counted cell of the selection must be in one of ``regimes``."""
    return _per_entry(lambda r, e: None if r in NOT_COUNTED else r in regimes, rtols, coords)


def error_above(floor: float, rtols=(1.0, 0.0), **coords):
    """Every scored cell of the selection has an error above ``floor`` (a residual that is more
    than round-off, whatever regime the thresholds put it in)."""
    return _per_entry(lambda r, e: e > floor if r in SCORED else None, rtols, coords)


def converges(factor: float = 1e-2, rtols=(1.0, 0.0), **coords):
    """Each cell's error falls by at least ``factor`` from its loosest to its tightest scored
    tolerance, or is accurate at both (cells with fewer than two scored tolerances not counted)."""

    def query(atlas):
        support, against = [], []
        for name, reg, err, _ in _series(select(atlas, rtols, **coords)):
            idx = np.where(np.isin(reg, SCORED) & np.isfinite(err))[0]
            if len(idx) < 2:
                continue
            first, last = idx[0], idx[-1]
            ok = err[last] <= factor * err[first] or (reg[first] == reg[last] == "accurate")
            (support if ok else against).append(name)
        return support, against

    return query


def flat(ratio: float = 2.0, rtols=(1.0, 0.0), **coords):
    """Each cell's error does not fall with rtol: its tightest scored tolerance's error is at least
    1/``ratio`` of its loosest, and it is never accurate."""

    def query(atlas):
        support, against = [], []
        for name, reg, err, _ in _series(select(atlas, rtols, **coords)):
            idx = np.where(np.isin(reg, SCORED) & np.isfinite(err))[0]
            if len(idx) < 2:
                continue
            ok = err[idx[-1]] * ratio >= err[idx[0]] and not np.any(reg[idx] == "accurate")
            (support if ok else against).append(name)
        return support, against

    return query


def same_regime(method: str, other: str, rtols=(1.0, 0.0), **coords):
    """``method`` lands in the same regime as ``other`` wherever both were scored."""

    def query(atlas):
        sel = select(atlas, rtols, **coords)
        if method not in sel["method"].values or other not in sel["method"].values:
            return [], []
        order = ("model", "design", "solver", "rtol")
        a = sel["regime"].sel({"method": method}).transpose(*order)
        b = sel["regime"].sel({"method": other}).transpose(*order).values.astype(str)
        names = [a[d].values for d in order]
        a = a.values.astype(str)
        support, against = [], []
        for idx in np.ndindex(a.shape):
            if a[idx] in SCORED and b[idx] in SCORED:
                name = (
                    "/".join(str(names[k][idx[k]]) for k in range(3)) + f"/{method} @ {names[3][idx[3]]:.0e}"
                )
                (support if a[idx] == b[idx] else against).append(name)
        return support, against

    return query


JAX_GRADIENT_METHODS = ("forward_jvp", "forward_sensitivity", "reverse_checkpoint", "backsolve_adjoint")
TANGENTS_OUT = ("forward_jvp", "reverse_checkpoint")
#: the one model where forward_jvp's nominal_steps residual is not round-off (question 1)
STIFF_VDP = "van_der_pol_stiff"
PETAB_EASY = ("boehm_jproteomeres2014", "borghans_biophyschem1997", "perelson_science1996")

CLAIMS: list[Claim] = [
    # ---- question 1 ----
    Claim("q1_jvp_exact_on_nominal_steps", "q1",
          "JAX's forward mode (forward_jvp: the tangents ride along, the primal alone picks the steps) is "
          "accurate on the thread's nominal_steps design at every tolerance on every model but one: the "
          "differentiated run takes the nominal run's steps, so the residual at p0 is zero up to round-off.",
          per_cell(("accurate",), design="nominal_steps", method="forward_jvp",
                   exclude={"model": STIFF_VDP})),
    Claim("q1_jvp_stiff_vdp", "q1",
          "The exception is the stiff van der Pol oscillator (van_der_pol_stiff, Kvaerno5): there forward_jvp's "
          "nominal_steps error at rtol 1e-3 is above 1e-3 of the gradient scale, far above round-off, so its "
          "residual at p0 is not zero.",
          error_above(1e-3, rtols=(1e-3, 1e-3), model=STIFF_VDP, design="nominal_steps", method="forward_jvp")),
    Claim("q1_dual_numbers_wrong_on_spikes", "q1",
          "With the sensitivities in the error norm (forward_sensitivity, what Julia's dual numbers do) the "
          "same design is wrong at rtol 1e-3 on the spiking models: the differentiated run steps differently, "
          "its values at the nominal step times are interpolants, and the spike sensitivities amplify the "
          "O(rtol) residual.",
          per_cell(("wrong",), rtols=(1e-3, 1e-3), design="nominal_steps", method="forward_sensitivity",
                   category="spiking")),
    Claim("q1_dual_numbers_shrink", "q1",
          "That spurious gradient shrinks as rtol is tightened: on every model but the stiff van der Pol "
          "oscillator, forward_sensitivity's nominal_steps error falls at least a hundredfold from the loosest "
          "to the tightest tolerance.",
          converges(design="nominal_steps", method="forward_sensitivity", exclude={"model": STIFF_VDP}),
          unit="series"),
    Claim("q1_dual_numbers_stiff_vdp", "q1",
          "On van_der_pol_stiff it does not: forward_sensitivity's nominal_steps error does not fall with rtol "
          "and is never accurate, whatever the tolerance.",
          flat(model=STIFF_VDP, design="nominal_steps", method="forward_sensitivity"), unit="series"),
    Claim("q1_blind_tangents_do_not_converge", "q1",
          "Forward mode is not exact in general. When the solver integrates the states exactly or nearly "
          "(equilibrium_start, symmetric_pair: a handful of steps), nothing controls the tangents: "
          "forward_jvp and reverse_checkpoint are wrong on final_state and time_average at every tolerance.",
          per_cell(("wrong",), failure_class="tangent_blind", design=["final_state", "time_average"],
                   method=list(TANGENTS_OUT))),
    Claim("q1_controlled_tangents_converge", "q1",
          "The methods whose sensitivities enter an adaptive error norm do converge there: forward_sensitivity, "
          "backsolve_adjoint and cvodes_forward are accurate on those two models at every rtol from 1e-6 on.",
          per_cell(("accurate",), rtols=(1e-6, 0.0), failure_class="tangent_blind",
                   design=["final_state", "time_average"],
                   method=["forward_sensitivity", "backsolve_adjoint", "cvodes_forward"])),
    Claim("q1_controlled_tangents_cvodes_adjoint", "q1",
          "So is cvodes_adjoint from rtol 1e-6 to 1e-10.",
          per_cell(("accurate",), rtols=(1e-6, 1e-10), failure_class="tangent_blind",
                   design=["final_state", "time_average"], method="cvodes_adjoint")),
    Claim("q1_cvodes_adjoint_tightest", "q1",
          "At rtol 1e-11 and 1e-12 cvodes_adjoint is either accurate or stops with an error there (max_steps), "
          "never silently wrong.",
          per_cell(("accurate", "failed"), rtols=(1e-11, 0.0), failure_class="tangent_blind",
                   design=["final_state", "time_average"], method="cvodes_adjoint")),
    # ---- question 2 ----
    Claim("q2_functionals_converge", "q2",
          "Smooth functionals of the solution (final_state, time_average) converge with rtol on the "
          "non-stiff models of the zoo for forward_jvp, forward_sensitivity and reverse_checkpoint: their "
          "error falls at least a hundredfold from the loosest to the tightest tolerance.",
          converges(category="nonstiff", failure_class="none", design=["final_state", "time_average"],
                    method=["forward_jvp", "forward_sensitivity", "reverse_checkpoint"]), unit="series"),
    Claim("q2_functionals_need_controlled_tangents", "q2",
          "Not on the models whose states the solver integrates exactly (question 1): there the error of "
          "forward_jvp and reverse_checkpoint on final_state and time_average falls less than a hundredfold "
          "from the loosest to the tightest tolerance, and is never accurate.",
          flat(100.0, failure_class="tangent_blind", design=["final_state", "time_average"],
               method=list(TANGENTS_OUT)), unit="series"),
    Claim("q2_data_fit_accurate_when_tight", "q2",
          "A misfit against fixed data at a perturbed point (data_fit) is accurate at rtol 1e-8 for every JAX "
          "gradient method on the non-stiff models.",
          per_cell(("accurate",), rtols=(1e-8, 1e-8), category="nonstiff", design="data_fit",
                   method=list(JAX_GRADIENT_METHODS))),
    Claim("q2_backsolve_long_segments", "q2",
          "backsolve_adjoint, which re-solves the state backwards in time, is wrong at every tolerance on "
          "final_state and time_average for fitzhugh_nagumo, hodgkin_huxley and lorenz63: one backward "
          "re-solve over the whole span diverges from the forward trajectory.",
          per_cell(("wrong",), model=["fitzhugh_nagumo", "hodgkin_huxley", "lorenz63"],
                   design=["final_state", "time_average"], method="backsolve_adjoint")),
    Claim("q2_backsolve_short_segments", "q2",
          "On data_fit, where each backward segment ends at the next observation and restarts from the "
          "stored state there, backsolve_adjoint converges on fitzhugh_nagumo and lorenz63.",
          converges(model=["fitzhugh_nagumo", "lorenz63"], design="data_fit", method="backsolve_adjoint"),
          unit="series"),
    # ---- question 3 ----
    Claim("q3_loose_tolerance_spikes", "q3",
          "At the default tolerance (rtol 1e-3) on a spiking observable compared against a separately "
          "stepped copy of itself (nominal_steps, uniform), forward_sensitivity is not accurate.",
          per_cell(("degraded", "wrong"), rtols=(1e-3, 1e-3), category="spiking",
                   design=["nominal_steps", "uniform"], method="forward_sensitivity")),
    Claim("q3_discontinuity_across", "q3",
          "Across a discontinuity in time (dose_switch: an infusion switched on at t = 2.5, solved straight "
          "across it), the data_fit gradient of forward_jvp and reverse_checkpoint is wrong at rtol 1e-3.",
          per_cell(("wrong",), rtols=(1e-3, 1e-3), model="dose_switch", design="data_fit",
                   method=list(TANGENTS_OUT))),
    Claim("q3_discontinuity_stepped", "q3",
          "Stepping onto the switch time (dose_switch_stepped: jump_ts, Julia's tstops) makes the same "
          "gradients accurate at rtol 1e-3.",
          per_cell(("accurate",), rtols=(1e-3, 1e-3), model="dose_switch_stepped", design="data_fit",
                   method=list(TANGENTS_OUT))),
    Claim("q3_tiny_state", "q3",
          "A state far below the absolute tolerance (tiny_state: y2 ≈ 1e-10 with atol = rtol) looks fine in "
          "the solution, but every JAX method's gradient of it is wrong down to rtol 1e-6, on every design.",
          per_cell(("wrong",), rtols=(1e-3, 1e-6), model="tiny_state",
                   method=["forward_jvp", "forward_sensitivity", "reverse_checkpoint", "finite_difference"])),
    Claim("q3_tiny_state_rescaled", "q3",
          "Expressed in units of its own scale (tiny_state_scaled) the same gradients are accurate from "
          "rtol 1e-6 on.",
          per_cell(("accurate",), rtols=(1e-6, 0.0), model="tiny_state_scaled",
                   method=["forward_jvp", "forward_sensitivity", "reverse_checkpoint"])),
    Claim("q3_petab_default_tolerance", "q3",
          "On three of the four PEtab problems of the paper grid "
          "(Boehm_JProteomeRes2014, Borghans_BiophysChem1997, Perelson_Science1996), forward_jvp's gradient of "
          "the PEtab objective is accurate at the default rtol 1e-3, at the published best fit and at the "
          "perturbed start point.",
          per_cell(("accurate",), rtols=(1e-3, 1e-3), model=list(PETAB_EASY), design=["petab_fit", "petab_start"],
                   method="forward_jvp")),
    Claim("q3_petab_crauste_loose", "q3",
          "On Crauste_CellSystems2017's best fit the JAX forward gradients are wrong at rtol 1e-3, with the "
          "sensitivities in the error norm or not.",
          per_cell(("wrong",), rtols=(1e-3, 1e-3), model="crauste_cellsystems2017", design="petab_fit",
                   method=["forward_jvp", "forward_sensitivity"])),
    Claim("q3_petab_crauste_tight", "q3",
          "They are accurate there from rtol 1e-7 on.",
          per_cell(("accurate",), rtols=(1e-7, 0.0), model="crauste_cellsystems2017", design="petab_fit",
                   method=["forward_jvp", "forward_sensitivity", "reverse_checkpoint"])),
    Claim("q3_petab_crauste_cvodes", "q3",
          "CVODES (through CasADi, abstol = rtol × 1e-3) is wrong there at every tolerance, forward and adjoint.",
          per_cell(("wrong",), model="crauste_cellsystems2017", design="petab_fit",
                   method=["cvodes_forward", "cvodes_adjoint"])),
    Claim("q3_petab_crauste_start", "q3",
          "At Crauste's perturbed start point no method finishes: every one, CVODES included, stops with an "
          "error (max_steps, or the cell's time limit) at every tolerance.",
          per_cell(("failed",), model="crauste_cellsystems2017", design="petab_start")),
    # ---- question 4 ----
    Claim("q4_internal_numerical_differentiation", "q4",
          "Differentiating the discretisation with its steps fixed (Bock's internal numerical "
          "differentiation) is what JAX does in both modes: forward_jvp lands in the same regime as "
          "reverse_checkpoint in every cell where both were scored.",
          same_regime("forward_jvp", "reverse_checkpoint")),
]  # fmt: skip


def evaluate(atlas: xr.Dataset, claims: list[Claim] | None = None) -> pd.DataFrame:
    rows = []
    for c in claims or CLAIMS:
        support, against = c.query(atlas)
        status = "contradicted" if against else ("supported" if support else "no cells")
        rows.append({"id": c.id, "where": c.where, "claim": c.text, "status": status, "unit": c.unit,
                     "supporting": len(support), "contradicting": len(against),
                     "contradicting_examples": "; ".join(against[:5])})  # fmt: skip
    return pd.DataFrame(rows)


_COLOUR = {"supported": "#1b7837", "contradicted": "#b2182b", "no cells": "#777777"}


def _counts(r) -> str:
    units = r["unit"] if r["unit"].endswith("s") else r["unit"] + "s"
    return f"{r['status']}: {r['supporting']} {units} for, {r['contradicting']} against"


def claims_html(table: pd.DataFrame, where: str | None = None) -> str:
    """The claims (of one place, or all) with their status and counts, as an HTML list."""
    rows = table if where is None else table[table["where"] == where]
    items = []
    for _, r in rows.iterrows():
        against = f" Against it: {html.escape(r['contradicting_examples'])}." if r["contradicting"] else ""
        items.append(f"<li><b style='color:{_COLOUR[r['status']]}'>{_counts(r)}.</b> "
                     f"{html.escape(r['claim'])}{against}</li>")  # fmt: skip
    return "<ul>" + "".join(items) + "</ul>"


def report_html(table: pd.DataFrame) -> str:
    """Every claim, grouped by question and figure, for the HTML report."""
    parts = ["<h2>Claims and the atlas</h2>"]
    bad = table[table["status"] == "contradicted"]
    if len(bad):
        parts.append(f"<p style='color:#b2182b'><b>{len(bad)} claim(s) contradicted by this atlas.</b></p>")
    for where in dict.fromkeys(table["where"]):
        parts.append(f"<h3>{html.escape(QUESTIONS.get(where, where))}</h3>" + claims_html(table, where))
    return "\n".join(parts)


def render_markdown(table: pd.DataFrame, where: str) -> str:
    """The README block of one question: each claim, then its status and counts on this atlas."""
    return "\n".join(f"- {r['claim']} *({_counts(r)})*" for _, r in table[table["where"] == where].iterrows())


_BLOCK = re.compile(r"(<!-- claims:(\w+) -->\n)(.*?)(<!-- /claims -->)", re.S)


def update_readme(path: str | Path, table: pd.DataFrame) -> int:
    """Rewrite the README's claim blocks (``<!-- claims:q1 -->`` ... ``<!-- /claims -->``) from the
    evaluated claims; return how many blocks were written."""
    path = Path(path)
    text = path.read_text()
    count = 0

    def block(m):
        nonlocal count
        count += 1
        return m[1] + render_markdown(table, m[2]) + "\n" + m[4]

    path.write_text(_BLOCK.sub(block, text))
    return count


def readme_claims(text: str) -> dict[str, list[str]]:
    """The claim sentences in each README block (without their status line)."""
    out = {}
    for m in _BLOCK.finditer(text):
        out[m[2]] = [
            re.sub(r" \*\([^)]*\)\*$", "", line[2:]) for line in m[3].splitlines() if line.startswith("- ")
        ]
    return out
