"""Tables and plain-words findings read from the atlas (no science is recomputed)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

SCORED = ("accurate", "degraded", "wrong")


def summary_table(atlas, default_rtol: float = 1e-3) -> pd.DataFrame:
    """Per (model, design, method): the loosest rtol at which the method is accurate
    (over the solvers run), and the error at the default tolerance (best solver)."""
    rows = []
    rtols = atlas["rtol"].values
    i_def = int(np.argmin(np.abs(np.log10(rtols) - np.log10(default_rtol))))
    for m in atlas["model"].values:
        for d in atlas["design"].values:
            for meth in atlas["method"].values:
                sel = atlas.sel(model=m, design=d).sel({"method": meth})
                regime = sel["regime"].values.astype(str)  # (solver, rtol)
                err = sel["error"].values
                run = np.any(regime != "excluded", axis=1)
                if not np.any(run):
                    continue
                accurate = regime == "accurate"
                loosest, loosest_solver = np.nan, ""
                for j in np.argsort(-rtols):
                    hits = np.where(accurate[:, j])[0]
                    if len(hits):
                        loosest, loosest_solver = float(rtols[j]), str(atlas["solver"].values[hits[0]])
                        break
                at_def = np.where(np.isin(regime[:, i_def], SCORED), err[:, i_def], np.nan)
                best = int(np.nanargmin(at_def)) if np.any(np.isfinite(at_def)) else None
                rows.append(
                    {
                        "model": str(m),
                        "design": str(d),
                        "method": str(meth),
                        "loosest_accurate_rtol": loosest,
                        "loosest_accurate_solver": loosest_solver,
                        "default_rtol": float(rtols[i_def]),
                        "error_at_default_rtol": float(at_def[best]) if best is not None else np.nan,
                        "solver_at_default_rtol": str(atlas["solver"].values[best])
                        if best is not None
                        else "",
                        "regime_at_default_rtol": str(regime[best, i_def])
                        if best is not None
                        else "not scored",
                    }
                )
    return pd.DataFrame(rows)


def regime_counts(atlas) -> pd.DataFrame:
    """Entries per (method, regime), excluded cells left out."""
    df = atlas["regime"].to_dataframe().reset_index()
    df = df[df["regime"] != "excluded"]
    return df.groupby(["method", "regime"]).size().unstack(fill_value=0)


def _table(df: pd.DataFrame) -> str:
    return df.to_html(border=0, float_format=lambda x: f"{x:.3g}")


def _regime_shares(atlas) -> str:
    counts = regime_counts(atlas)
    control = dict(zip(atlas["method"].values, atlas["tangent_error_control"].values, strict=True))
    counts.insert(0, "sensitivities in an error norm", [control[m] for m in counts.index])
    counts = counts.sort_values("sensitivities in an error norm", kind="stable")
    return ("<p>Entries (model, design, solver, method, rtol) per method and regime, excluded cells left "
            "out, methods grouped by whether their sensitivities enter an adaptive error norm:</p>" + _table(counts))  # fmt: skip


def _convergence(atlas) -> str:
    from .claims import converges, flat

    rows = []
    for meth in atlas["method"].values:
        n_conv = len(converges(method=str(meth))(atlas)[0])
        n_flat = len(flat(method=str(meth))(atlas)[0])
        scored = len(converges(factor=np.inf, method=str(meth))(atlas)[0])
        rows.append({"method": str(meth), "series scored at two or more tolerances": scored,
                     "error falls 100x or more": n_conv, "flat and never accurate": n_flat})  # fmt: skip
    return ("<p>How each method's error responds to rtol, over its (model, design, solver) series:</p>"
            + pd.DataFrame(rows).to_html(index=False, border=0))  # fmt: skip


def _fastest(atlas, design: str = "data_fit", target: float = 1e-6) -> str:
    if design not in atlas["design"].values:
        return f"<p>No {design} cells in this atlas.</p>"
    own = dict(zip(atlas["method"].values, atlas["own_solver"].values.astype(str), strict=True))
    rows = []
    for m in atlas["model"].values:
        sel = atlas.sel(model=m, design=design)
        best = {}
        for meth in sel["method"].values:
            ok = (sel["regime"].sel({"method": meth}).values.astype(str) != "excluded") & (
                sel["error"].sel({"method": meth}).values <= target)  # fmt: skip
            t = np.where(ok, sel["run_time"].sel({"method": meth}).values, np.inf)
            if np.isfinite(t.min()):
                side = "CVODES" if own[meth] else "JAX"
                i, j = np.unravel_index(int(np.argmin(t)), t.shape)
                cand = (
                    float(t.min()),
                    f"{meth} ({sel['solver'].values[i]}, rtol {sel['rtol'].values[j]:.0e})",
                )
                best[side] = min(best.get(side, cand), cand)
        if best:
            rows.append({"model": str(m),
                         "fastest JAX gradient": best.get("JAX", (np.nan, "none"))[1],
                         "s (JAX)": best.get("JAX", (np.nan,))[0],
                         "fastest CVODES gradient": best.get("CVODES", (np.nan, "none"))[1],
                         "s (CVODES)": best.get("CVODES", (np.nan,))[0]})  # fmt: skip
    if not rows:
        return f"<p>No {design} gradient reaches an error of {target:g} in this atlas.</p>"
    return (f"<p>The fastest gradient reaching an error of {target:g} on {design}, per model (run time per "
            "gradient after warm-up, compilation excluded):</p>" + pd.DataFrame(rows).to_html(index=False, border=0,
            float_format=lambda x: f"{x:.3g}"))  # fmt: skip


def _failures(atlas) -> str:
    df = atlas["status"].to_dataframe().reset_index()
    df = df[~df["status"].isin(["ok", "excluded"])]
    if not len(df):
        return "<p>Every cell that ran returned status ok.</p>"
    table = df.groupby(["model", "solver", "status"]).size().unstack(fill_value=0)
    return "<p>Entries that did not return status ok, per model, solver and status:</p>" + _table(table)


#: figure -> (title, the table specific to it)
FINDINGS = {
    "regime_map": ("regimes per method", _regime_shares),
    "error_vs_tolerance": ("convergence with rtol", _convergence),
    "work_precision": ("cost of an accurate gradient", _fastest),
    "failure_map": ("where solves fail", _failures),
}


def findings_html(atlas, figure: str) -> str:
    """What the current atlas shows for one figure: the claims placed at that figure, with their
    status on this atlas, and a table computed from the atlas for that figure alone."""
    from .claims import CLAIMS, claims_html, evaluate

    title, table = FINDINGS[figure]
    claims = [c for c in CLAIMS if c.where == figure]
    parts = [f"<h3>What the current atlas shows: {html.escape(title)}</h3>"]
    if claims:
        parts.append(claims_html(evaluate(atlas, claims)))
    parts.append(table(atlas))
    return "\n".join(parts)


#: the failure modes of a (design, method) that is never accurate, in the verdict's words
IGNORES_TANGENTS = (
    "the error estimate ignores the tangents: the steps are chosen for the states alone, and tightening "
    "rtol does not make the gradient converge (a method with sensitivities under error control is accurate here)"
)
STEP_MISMATCH = (
    "step/interpolation mismatch: with the sensitivities in the error norm the differentiated run steps "
    "differently from the nominal run, and its values at the observation times miss the targets by O(rtol)"
)
NO_REFERENCE = (
    "no usable reference: the reference's own estimated error exceeds the threshold (a chaotic horizon, or "
    "a gradient that is zero)"
)


def verdict_table(atlas) -> pd.DataFrame:
    """Per (model, design, method): the loosest tolerance at which the gradient is accurate (with the
    fastest solver there, and its time per gradient), or, when it never is, the failure mode."""
    rows = []
    rtols = atlas["rtol"].values
    solvers = [str(s) for s in atlas["solver"].values]
    control = dict(zip(atlas["method"].values, atlas["tangent_error_control"].values, strict=True))
    own = dict(zip(atlas["method"].values, atlas["own_solver"].values.astype(str), strict=True))
    for m in atlas["model"].values:
        for d in atlas["design"].values:
            by_design = atlas.sel(model=m, design=d)
            any_controlled_accurate = any(
                control[meth] == "yes"
                and np.any(by_design["regime"].sel({"method": meth}).values == "accurate")
                for meth in atlas["method"].values
            )
            for meth in atlas["method"].values:
                sel = by_design.sel({"method": meth})
                regime = sel["regime"].values.astype(str)  # (solver, rtol)
                if np.all(regime == "excluded"):
                    continue
                row = {"model": str(m), "design": str(d), "method": str(meth),
                       "tangent_error_control": str(control[meth])}  # fmt: skip
                accurate = regime == "accurate"
                if np.any(accurate):
                    j = max(np.where(accurate.any(axis=0))[0], key=lambda k: rtols[k])
                    times = np.where(accurate[:, j], sel["run_time"].values[:, j], np.inf)
                    i = int(np.argmin(times))
                    rows.append({**row, "accurate": True, "loosest_accurate_rtol": float(rtols[j]),
                                 "solver": own[meth] or solvers[i], "run_time": float(sel["run_time"].values[i, j]),
                                 "error": float(sel["error"].values[i, j]), "verdict": "accurate"})  # fmt: skip
                    continue
                verdict, i, j = _failure_mode(sel, regime, d, control[meth] == "yes", any_controlled_accurate)
                rows.append({**row, "accurate": False, "loosest_accurate_rtol": np.nan,
                             "solver": (own[meth] or solvers[i]) if i is not None else "", "run_time": np.nan,
                             "error": float(sel["error"].values[i, j]) if i is not None else np.nan,
                             "verdict": verdict})  # fmt: skip
    return pd.DataFrame(rows)


def _failure_mode(sel, regime, design, controlled: bool, any_controlled_accurate: bool):
    """(verdict, solver index, rtol index of the best error) of a cell set that is never accurate."""
    from .designs import DESIGNS

    ran = regime != "excluded"
    scored = np.isin(regime, SCORED)
    if not np.any(scored):
        kinds = set(regime[ran])
        if kinds == {"unsupported"}:
            return "unsupported: " + _first_message(sel, regime == "unsupported"), None, None
        if "no_reference" in kinds:
            return NO_REFERENCE, None, None
        statuses = sel["status"].values.astype(str)
        failed = ran & (regime == "failed")
        if set(statuses[failed]) == {"timeout"}:
            return "too slow: " + _first_message(sel, failed), None, None
        kinds = ", ".join(sorted(set(statuses[failed])))
        return f"solver failure ({kinds}): " + _first_message(sel, failed), None, None
    err = np.where(scored, sel["error"].values, np.inf)
    i, j = np.unravel_index(int(np.argmin(err)), err.shape)
    best = err[i].copy()  # the best solver's error, loosest to tightest tolerance
    finite = np.where(np.isfinite(best))[0]
    converging = len(finite) >= 2 and best[finite[-1]] < 0.1 * best[finite[0]]
    if not controlled and not converging and any_controlled_accurate:
        return IGNORES_TANGENTS, i, j
    if DESIGNS[str(design)].zero_gradient and controlled:
        return STEP_MISMATCH, i, j
    trend = "still falling at the tightest tolerance" if converging else "not converging"
    return f"never accurate: best error {err[i, j]:.2g}, {trend}", i, j


def _first_message(sel, mask) -> str:
    messages = sel["message"].values.astype(str)[mask]
    return next((msg for msg in messages if msg), "")
