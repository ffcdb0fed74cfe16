"""Origin-case figures: the thread's rows on both STG conductance sets, and the chaos horizon sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..origin import LARGE, SMALL
from . import _style


def plot(table: pd.DataFrame, outdir):
    _style.set_style()
    rows = list(dict.fromkeys(table["row"]))
    models = list(dict.fromkeys(table["model"]))
    labels = {r: table.loc[table["row"] == r, "condition"].iloc[0] for r in rows}
    fig, ax = plt.subplots(figsize=(9.5, 0.5 * len(rows) + 1.6))
    height = 0.8 / len(models)
    colours = ["#0072b2", "#e69f00", "#009e73"]
    for k, m in enumerate(models):
        sub = table[table["model"] == m].set_index("row").loc[rows]
        y = np.arange(len(rows)) + (k - (len(models) - 1) / 2) * height
        err = np.maximum(sub["error"].to_numpy(float), 1e-16)
        cs = sub["conductance_set"].iloc[0]
        ax.barh(y, err, height=height * 0.9, color=colours[k % 3], label=f"{m} ({cs})", left=1e-16)
    ax.set_xscale("log")
    ax.set_xlim(1e-16, 1e3)
    ax.axvline(LARGE, color="#d55e00", ls="--", lw=1)
    ax.axvline(SMALL, color="0.5", ls=":", lw=1)
    ax.text(LARGE * 1.2, -0.9, "large", color="#d55e00", fontsize="small", va="center")
    ax.text(SMALL / 1.2, -0.9, "small", color="0.4", fontsize="small", va="center", ha="right")
    ax.set_yticks(range(len(rows)))
    thread = table.drop_duplicates("row").set_index("row")["thread_value"]
    ax.set_yticklabels([f"{r}: {labels[r]}\n[thread: {thread[r]}]" for r in rows], fontsize=6.5)
    ax.invert_yaxis()
    ax.set_ylim(len(rows) - 0.4, -1.3)
    ax.set_xlabel("spurious gradient norm / local gradient scale (true gradient = 0)")
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.set_title("The origin case: stg_liu1998, 0–500 ms, rtol 1e-3 unless stated", fontsize="medium")
    fig.tight_layout()
    return _style.save(fig, outdir, "origin_case")


def plot_chaos(chaos, outdir):
    _style.set_style()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    t = chaos["time"].values
    norms = chaos["sensitivity_norm"].values
    lam, b = chaos.attrs["lyapunov_estimate"], chaos.attrs["lyapunov_intercept"]
    lam_lit = chaos.attrs["lyapunov_literature"]
    ax1.semilogy(t, norms, color="0.2", lw=1, label="‖S(t)‖ (reference solve)")
    ax1.semilogy(t, np.exp(b + lam * t), "--", color="#d55e00", lw=1.5, label=f"fit: λ = {lam:.3f}")
    # the literature slope would lie on top of the fit: drawn parallel, a decade lower, to be seen
    ax1.semilogy(t, np.exp(b + lam_lit * t) / 10, "-", color="#0072b2", lw=1.5, zorder=3,
                 label=f"literature λ = {lam_lit} (shifted down ×10)")  # fmt: skip
    ax1.set_xlabel("time t")
    ax1.set_ylabel("‖∂y/∂p‖ (Frobenius)")
    ax1.legend(fontsize="small", frameon=False)
    ax1.set_title("lorenz63: sensitivities grow like exp(λ t)", fontsize="medium")

    horizons = chaos["horizon"].values
    methods = [str(m) for m in chaos["method"].values]
    palette = _style.method_palette(methods)
    markers = _style.method_markers(methods)
    rtol = chaos["rtol"].values[-1]
    for meth in methods:
        e = chaos["error"].sel({"method": meth}).sel(rtol=rtol).values
        ax2.semilogy(horizons, e, marker=markers[meth], mfc="none", color=palette[meth], label=meth)
    ax2.semilogy(horizons, chaos["reference_error"].values, "k-", lw=2, label="reference (estimated)")
    no_ref = [h for h, r in zip(horizons, chaos["regime"].sel(rtol=rtol).values[:, 0], strict=True)
              if r == "no_reference"]  # fmt: skip
    if no_ref:
        ax2.axvspan(min(no_ref) - 0.5, max(horizons) + 1, color="#cfe3f3", zorder=0, label="no_reference")
    ax2.set_xlabel("horizon t1")
    ax2.set_ylabel("relative gradient error (data_fit)")
    ax2.set_title(f"every method at rtol {rtol:.0e}, and the reference", fontsize="medium")
    ax2.legend(fontsize=6.5, frameon=False, ncol=2)
    fig.tight_layout()
    return _style.save(fig, outdir, "chaos")


def markdown(table: pd.DataFrame, chaos) -> str:
    """The origin-case table as Markdown (for the README and the report)."""
    cols = ["row", "conductance_set", "method", "solver", "design", "observed", "rtol",
            "grad_norm", "scale", "error", "thread_value", "agrees"]  # fmt: skip
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.3g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    lam = chaos.attrs["lyapunov_estimate"]
    lines.append("")
    lines.append(
        f"Lorenz-63: λ estimated from ‖S(t)‖ = {lam:.3f} (literature {chaos.attrs['lyapunov_literature']})."
    )
    for h, e in zip(chaos["horizon"].values, chaos["reference_error"].values, strict=True):
        lines.append(f"- t1 = {h:g}: reference estimated error {e:.2g}")
    return "\n".join(lines) + "\n"
