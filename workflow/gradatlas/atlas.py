"""Aggregate sweep files into one atlas with dims (model, design, solver, method, rtol).

The aggregation reads exactly the files Snakemake hands it (the sweeps, their
references and the CVODES cross-checks) and scores every cell against its reference
with the configured thresholds: scoring lives here, so changing the thresholds
reruns the aggregation and nothing before it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .errors import CorruptFile
from .grid import Cell, exclusion_reason
from .io import open_checked, reference_from_dataset
from .scoring import score_cell
from .settings import AtlasSettings

#: row order of reports: non-stiff, then stiff, spiking, chaotic, then real systems-biology problems
CATEGORY_ORDER = ("nonstiff", "stiff", "spiking", "chaotic", "systems_biology")

#: per-tolerance variables: scores computed here, the rest copied from the sweep files
SCORES = ("error", "cosine", "max_param_error", "regime")
COPIED = ("loss", "status", "message", "n_steps", "n_rejected", "run_time")
PER_CELL = (
    "compile_time",
    "trace_time",
    "warmup_time",
    "reference_error",
    "scale",
    "source_hash",
    "git_dirty",
)
STRINGS = ("status", "message", "regime", "source_hash", "git_dirty")
INTS = ("n_steps", "n_rejected")


def _read_references(paths) -> dict:
    refs = {}
    for path in paths:
        ref = reference_from_dataset(open_checked(path))
        refs[(ref.model, ref.design)] = ref
    return refs


def _read_sweeps(paths) -> dict:
    cells = {}
    for path in paths:
        ds = open_checked(path)
        key = tuple(ds.attrs[k] for k in ("model", "design", "solver", "method"))
        if key in cells:
            raise ValueError(f"{path} and {cells[key][0]} are both the sweep of cell {'/'.join(key)}")
        cells[key] = (Path(path), ds)
    return cells


def build_atlas(s: AtlasSettings, sweep_paths, reference_paths, methods: dict) -> xr.Dataset:
    """Every cell of the grid exactly once; excluded cells carry their reason.

    ``methods``: slug -> the method, for what it declares: whether its sensitivities
    (tangents or adjoint) enter an adaptive error norm (``tangent_error_control``, a
    coordinate of the atlas) and the solver it brings (``own_solver``, "" for none).
    """
    refs = _read_references(reference_paths)
    cells = _read_sweeps(sweep_paths)
    rules = {"solvers": list(s.solvers), "solvers_by_model": s.solvers_by_model, "exclude": list(s.exclude)}
    rtols = np.asarray(s.rtols, dtype=float)
    shape = (len(s.models), len(s.designs), len(s.solvers), len(s.methods), len(rtols))
    data = {}
    for v in SCORES + COPIED + PER_CELL:
        if v in STRINGS:
            data[v] = np.full(shape if v not in PER_CELL else shape[:4], "", dtype=object)
        elif v in INTS:
            data[v] = np.full(shape, -1, dtype=np.int64)
        else:
            data[v] = np.full(shape if v not in PER_CELL else shape[:4], np.nan)
    for im, m in enumerate(s.models):
        for idd, d in enumerate(s.designs):
            for isv, sv in enumerate(s.solvers):
                for ime, meth in enumerate(s.methods):
                    idx, key = (im, idd, isv, ime), (m, d, sv, meth)
                    reason = exclusion_reason(rules, Cell(m, d, sv, meth))
                    if reason is not None:
                        data["status"][idx] = data["regime"][idx] = "excluded"
                        data["message"][idx] = reason
                        continue
                    if key not in cells:
                        raise ValueError(f"no sweep file for cell {'/'.join(key)} among the inputs")
                    path, ds = cells.pop(key)
                    ref = refs.get((m, d))
                    if ref is None:
                        raise ValueError(f"no reference for {m}/{d} among the inputs (needed by {path})")
                    _fill_cell(data, idx, path, ds, ref, np.asarray(s.model_rtols[im]), s)
    if cells:
        raise ValueError(
            "sweep files of cells outside the grid: " + ", ".join(str(p) for p, _ in cells.values())
        )
    dims = ("model", "design", "solver", "method", "rtol")
    atlas = xr.Dataset(
        {v: (dims if v not in PER_CELL else dims[:4], a) for v, a in data.items()},
        coords={
            "model": list(s.models),
            "design": list(s.designs),
            "solver": list(s.solvers),
            "method": list(s.methods),
            "rtol": rtols,
            "category": ("model", list(s.categories)),
            "failure_class": ("model", list(s.failure_classes)),
            "tangent_error_control": (
                "method",
                ["yes" if methods[m].tangent_error_control else "no" for m in s.methods],
            ),
            "own_solver": ("method", [methods[m].own_solver for m in s.methods]),
        },
    )
    hashes = Counter(h for h in data["source_hash"].ravel() if h)
    atlas.attrs["cell_source_hashes"] = " ".join(sorted(hashes))
    atlas.attrs["mixed_code"] = "yes" if len(hashes) > 1 else "no"
    atlas.attrs["cells_git_dirty"] = "yes" if np.any(data["git_dirty"] == "yes") else "no"
    atlas.attrs.update({f"threshold_{k}": v for k, v in vars(s.thresholds).items()})
    return atlas


def _fill_cell(data, idx, path, ds, ref, cell_rtols, s: AtlasSettings) -> None:
    """Score one sweep file into the atlas arrays; ``cell_rtols``: the tolerances its model runs
    at (a subset of the atlas's, under ``rtols_by_model``)."""
    got = ds["rtol"].values
    if got.shape != cell_rtols.shape or not np.allclose(got, cell_rtols, rtol=1e-12):
        raise ValueError(f"{path}: tolerances {got} differ from the config's {cell_rtols}")
    at = np.array([int(np.argmin(np.abs(np.log(np.asarray(s.rtols) / r)))) for r in got])
    idx_r = idx + (at,)
    for ir in sorted(set(range(len(s.rtols))) - set(at)):  # tolerances the model does not run at
        data["status"][idx + (ir,)] = data["regime"][idx + (ir,)] = "excluded"
        data["message"][idx + (ir,)] = f"rtol {s.rtols[ir]:g} is not in rtols_by_model.{ref.model}"
    if ds.attrs.get("reference_digest") != ref.digest():
        path.unlink(missing_ok=True)
        raise CorruptFile(
            f"{path} was computed against another version of its reference {ref.model}/{ref.design}; "
            "removed it: rerun the same command to recompute it"
        )
    scores = score_cell(ds["grad"].values, [str(x) for x in ds["status"].values], ref, s.thresholds)
    for v in SCORES:
        data[v][idx_r] = getattr(scores, v)
    for v in COPIED:
        data[v][idx_r] = ds[v].values
    for v in ("compile_time", "trace_time", "warmup_time"):
        data[v][idx] = float(ds[v])
    data["reference_error"][idx] = ref.error
    data["scale"][idx] = ref.scale
    data["source_hash"][idx] = ds.attrs.get("source_hash", "unknown")
    data["git_dirty"][idx] = ds.attrs.get("git_dirty", "unknown")


def code_warnings(atlas: xr.Dataset) -> list[str]:
    """Warnings about the code behind the cells: a mix of source versions, or a dirty tree."""
    out = []
    hashes = atlas["source_hash"].values.ravel()
    counts = Counter(h for h in hashes if h)
    if len(counts) > 1:
        parts = ", ".join(f"{h[:12]}: {n} cells" for h, n in counts.most_common())
        out.append(
            f"the atlas mixes cells computed by {len(counts)} versions of the gradatlas source ({parts}); "
            "rerun with --forcerun run_sweep to recompute them with one"
        )
    if atlas.attrs.get("cells_git_dirty") == "yes":
        out.append("some cells were computed from a tree with uncommitted changes to the package")
    return out


def atlas_table(atlas: xr.Dataset) -> pd.DataFrame:
    """The atlas as a tidy table: one row per (model, design, solver, method, rtol)."""
    return atlas.to_dataframe().reset_index()


#: relative differences below this are round-off, never a disagreement (4500 float64 ulps)
ROUNDOFF = 1e-12


def reference_check_table(check_paths) -> pd.DataFrame:
    """Each reference next to its CVODES cross-check. ``flag`` is DISAGREES when the
    disagreement exceeds both estimated errors (the reference's and CVODES's) and the round-off
    floor ``ROUNDOFF`` (two gradients that differ by 1e-16 relative are equal; on Perelson_Science1996
    both error estimates came out near 1e-20)."""
    rows = []
    for path in check_paths:
        ds = open_checked(path)
        ref_err, cv_err = float(ds["reference_error"]), float(ds["cvodes_error"])
        dis = float(ds["cvodes_disagreement"])
        if not np.isfinite(dis):
            flag = "no check"
        else:
            flag = "DISAGREES" if dis > max(ref_err, cv_err, ROUNDOFF) else "ok"
        rows.append(
            {
                "model": ds.attrs["model"],
                "design": ds.attrs["design"],
                "observed": ds.attrs["observed"],
                "reference_solver": ds.attrs["solver"],
                "reference_rtol": float(ds.attrs["rtol"]),
                "reference_error": ref_err,
                "cvodes_rtol": float(ds["cvodes_rtol"]),
                "cvodes_error": cv_err,
                "disagreement": dis,
                "flag": flag,
                "message": ds.attrs.get("cvodes_message", ""),
            }
        )
    return pd.DataFrame(rows).sort_values(["model", "design"], ignore_index=True)


def reference_check_html(table: pd.DataFrame) -> str:
    bad = table[table["flag"] == "DISAGREES"]
    if len(bad):
        head = (
            '<div style="background:#b00020;color:white;padding:1em;font-size:1.3em">'
            f"<b>WARNING: {len(bad)} reference(s) disagree with CVODES by more than both estimated "
            "errors.</b> Cells scored against them may be wrong; this is a finding, not noise.</div>"
        )
    else:
        head = "<p><b>Every checked reference agrees with CVODES within the estimated errors.</b></p>"
    return head + table.to_html(index=False, border=0, float_format=lambda x: f"{x:.3g}")


def warn(lines: list[str]) -> None:
    for line in lines:
        print(f"WARNING: {line}", file=sys.stderr, flush=True)
