"""Regime map: log10 error per (model·solver, rtol), one heatmap per (design, method).

Rows run from non-stiff through stiff and spiking to chaotic models; failed,
unsupported, no_reference and excluded cells are hatched with a legend.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Patch, Rectangle

from . import _style


def plot(atlas, outdir):
    _style.set_style()
    designs = [str(d) for d in atlas["design"].values]
    methods = [str(m) for m in atlas["method"].values]
    rtols = atlas["rtol"].values
    pairs = _style.run_pairs(atlas)
    n_rows, n_cols = len(pairs), len(rtols)
    panel_w = 1.2 + 0.28 * n_cols
    panel_h = 0.6 + 0.2 * n_rows
    fig, axes = plt.subplots(
        len(designs), len(methods), figsize=(1.6 + panel_w * len(methods), 0.8 + panel_h * len(designs)),
        squeeze=False, sharex=True, sharey=True,
    )  # fmt: skip
    norm = Normalize(*_style.ERROR_RANGE)
    cmap = plt.get_cmap("viridis")
    for i, d in enumerate(designs):
        for j, meth in enumerate(methods):
            ax = axes[i, j]
            sel = atlas.sel(design=d).sel({"method": meth})
            err = np.array([sel["error"].sel(model=m, solver=s).values for m, s in pairs])
            reg = np.array([sel["regime"].sel(model=m, solver=s).values for m, s in pairs])
            scored, val = panel_values(err, reg)
            ax.imshow(np.ma.masked_invalid(val), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
            for r in range(n_rows):
                for c in range(n_cols):
                    if not scored[r, c]:
                        face, hatch = _style.NOT_SCORED.get(str(reg[r, c]), ("#ffffff", ""))
                        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=face, hatch=hatch,
                                               edgecolor="#555555", linewidth=0.0))  # fmt: skip
            ax.set_xticks(range(n_cols))
            ax.set_xticklabels([f"{np.log10(t):.0f}" for t in rtols], fontsize=6)
            ax.set_yticks(range(n_rows))
            ax.set_yticklabels([f"{m} · {s}" for m, s in pairs], fontsize=6)
            if i == 0:
                ax.set_title(meth.replace("_", "\n", 1), fontsize="small")
            if j == 0:
                ax.set_ylabel(d, fontsize="medium", fontweight="bold")
            if i == len(designs) - 1:
                ax.set_xlabel("log10 rtol")
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(sm, ax=axes, shrink=0.9, pad=0.01, aspect=30)
    cbar.set_label("log10 error", fontsize="small")
    handles = [
        Patch(facecolor=f, hatch=h, edgecolor="#555555", label=k) for k, (f, h) in _style.NOT_SCORED.items()
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.45, 1.0), title="not scored")  # fmt: skip
    return _style.save(fig, outdir, "regime_map")


def panel_values(err: np.ndarray, reg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scored mask, log10 error to colour). An infinite error (a gradient that
    overflowed) is "wrong" and gets the top colour, not the blank of a missing value."""
    scored = np.isin(reg, ["accurate", "degraded", "wrong"]) & ~np.isnan(err)
    with np.errstate(divide="ignore"):
        val = np.where(scored, np.log10(np.clip(err, 1e-300, 1e300)), np.nan)
    return scored, val
