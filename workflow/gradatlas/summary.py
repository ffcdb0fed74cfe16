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
    """Cells per (method, regime), excluded cells left out."""
    df = atlas["regime"].to_dataframe().reset_index()
    df = df[df["regime"] != "excluded"]
    return df.groupby(["method", "regime"]).size().unstack(fill_value=0)


def findings_html(atlas, figure: str) -> str:
    """A short, data-driven account of what the current atlas shows, for the report."""
    counts = regime_counts(atlas)
    parts = [f"<h3>What the current atlas shows ({html.escape(figure)})</h3>"]
    n_cells = int(counts.values.sum())
    parts.append(
        f"<p>{n_cells} scored or attempted cells (model × design × solver × method × rtol), "
        "excluded cells left out. Cells per method and regime:</p>"
    )
    parts.append(counts.to_html(border=0))
    df = atlas[["error", "regime"]].to_dataframe().reset_index()
    scored = df[df["regime"].isin(SCORED)]
    if len(scored):
        worst = scored.sort_values("error", ascending=False).head(5)
        parts.append("<p>Largest scored errors:</p>")
        parts.append(worst.to_html(index=False, border=0, float_format=lambda x: f"{x:.3g}"))
    if "nominal_steps" in atlas["design"].values:
        ns = scored[(scored["design"] == "nominal_steps")]
        by = ns.groupby("method")["regime"].apply(lambda r: (r != "accurate").mean()) if len(ns) else None
        if by is not None and len(by):
            text = ", ".join(f"{k}: {100 * v:.0f} %" for k, v in by.items())
            parts.append(
                "<p>nominal_steps (the origin thread's design, true gradient 0): "
                f"share of scored cells that are not accurate, per method: {html.escape(text)}.</p>"
            )
    return "\n".join(parts)
