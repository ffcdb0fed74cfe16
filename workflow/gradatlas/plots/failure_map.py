"""Failure map: which (model, solver, method) fail or hit max_steps, and at which rtol.

One panel per design; rows are the (model · solver · method) combinations with
at least one non-ok status, columns the tolerances, colour the status.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from . import _style

STATUSES = ["ok", "max_steps", "nonfinite", "failed", "timeout", "unsupported", "excluded"]
COLOURS = ["#e8f3e8", "#d55e00", "#cc79a7", "#000000", "#0072b2", "#ffffff", "#f0f0f0"]


def plot(atlas, outdir):
    _style.set_style()
    designs = [str(d) for d in atlas["design"].values]
    methods = [str(m) for m in atlas["method"].values]
    rtols = atlas["rtol"].values
    pairs = _style.run_pairs(atlas)
    panels = []
    for d in designs:
        rows, codes = [], []
        for m, s in pairs:
            for meth in methods:
                st = atlas["status"].sel(model=m, design=d, solver=s).sel({"method": meth}).values.astype(str)
                if np.any(~np.isin(st, ["ok", "excluded"])):
                    rows.append(f"{m} · {s} · {meth}")
                    codes.append([STATUSES.index(x) if x in STATUSES else 3 for x in st])
        panels.append((d, rows, np.array(codes).reshape(len(rows), len(rtols))))
    n_max = max([len(r) for _, r, _ in panels] + [1])
    fig, axes = plt.subplots(
        1, len(designs), figsize=(3.4 * len(designs) + 1.5, 1.2 + 0.16 * n_max), squeeze=False
    )
    cmap = ListedColormap(COLOURS)
    for ax, (d, rows, codes) in zip(axes[0], panels, strict=True):
        ax.set_title(d)
        if not rows:
            ax.text(0.5, 0.5, "no failures", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        ax.imshow(
            codes, cmap=cmap, vmin=-0.5, vmax=len(STATUSES) - 0.5, aspect="auto", interpolation="nearest"
        )
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows, fontsize=5.5)
        ax.set_xticks(range(len(rtols)))
        ax.set_xticklabels([f"{np.log10(t):.0f}" for t in rtols], fontsize=6)
        ax.set_xlabel("log10 rtol")
    handles = [
        Patch(facecolor=c, edgecolor="#555555", label=s) for s, c in zip(STATUSES, COLOURS, strict=True)
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, 1.0)
    )
    fig.tight_layout()
    return _style.save(fig, outdir, "failure_map")
