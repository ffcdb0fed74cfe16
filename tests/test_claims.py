"""The claims (gradatlas.claims): evaluated on the quick-grid atlas, and the README carries them verbatim."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import xarray as xr

from gradatlas.claims import (
    CLAIMS,
    QUESTIONS,
    Claim,
    converges,
    error_above,
    evaluate,
    flat,
    per_cell,
    readme_claims,
)

from conftest import ROOT


def test_no_claim_is_contradicted_by_the_quick_atlas(pipeline_run):
    table = evaluate(xr.open_dataset(pipeline_run / "results" / "atlas.nc"))
    bad = table[table["status"] == "contradicted"]
    assert bad.empty, bad[["id", "contradicting_examples"]].to_string()
    # the quick grid is built to test most of them, not to leave them without cells
    assert (table["status"] == "supported").sum() >= 12, table[["id", "status"]].to_string()


def test_the_pipeline_evaluates_the_claims(pipeline_run):
    table = pd.read_csv(pipeline_run / "results" / "claims.csv")
    assert list(table["id"]) == [c.id for c in CLAIMS]
    assert "Claims and the atlas" in (pipeline_run / "results" / "claims.html").read_text()


def test_readme_answers_are_the_claims():
    """Each of the four answers in the README is the claims placed at that question, in order."""
    blocks = readme_claims((ROOT / "README.md").read_text())
    assert set(blocks) == set(QUESTIONS)
    for where, sentences in blocks.items():
        assert sentences == [c.text for c in CLAIMS if c.where == where], where


def test_readme_regeneration_command_as_written(pipeline_run, tmp_path):
    """The README's command, run on an atlas, rewrites the claim blocks with their statuses."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(pipeline_run / "results" / "atlas.nc", results / "atlas.nc")
    cmd = [sys.executable, "-m", "gradatlas", "claims", "--atlas", "results/atlas.nc",
           "--out", "results/claims.csv", "--readme", "README.md"]  # fmt: skip
    readme_line = " ".join(["gradatlas", *cmd[3:]])
    assert readme_line in (ROOT / "README.md").read_text()
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "rewrote 4 claim blocks" in proc.stdout
    text = (tmp_path / "README.md").read_text()
    assert readme_claims(text) == readme_claims((ROOT / "README.md").read_text())
    assert text.count("*(supported:") + text.count("*(no cells:") == len(CLAIMS)


def _atlas(errors: dict) -> xr.Dataset:
    """A one-model atlas: errors[(method, rtol)] -> error, regimes from thresholds 1e-2 / 1e-1."""
    methods = sorted({m for m, _ in errors})
    rtols = sorted({r for _, r in errors}, reverse=True)
    err = np.array([[errors[m, r] for r in rtols] for m in methods])[None, None, None]
    regime = np.where(err <= 1e-2, "accurate", np.where(err <= 1e-1, "degraded", "wrong"))
    dims = ("model", "design", "solver", "method", "rtol")
    return xr.Dataset(
        {"error": (dims, err), "regime": (dims, regime.astype(object))},
        coords={"model": ["m"], "design": ["final_state"], "solver": ["tsit5"], "method": methods, "rtol": rtols,
                "category": ("model", ["nonstiff"])},
    )  # fmt: skip


def test_a_query_finds_the_cells_that_contradict_it():
    """The queries are not vacuous: an atlas built against a claim contradicts it."""
    atlas = _atlas({("a", 1e-3): 0.5, ("a", 1e-8): 1e-5, ("b", 1e-3): 0.5, ("b", 1e-8): 0.4})
    claims = [
        Claim("all_accurate", "q1", "", per_cell(("accurate",), method=["a", "b"])),
        Claim("tight_accurate", "q1", "", per_cell(("accurate",), rtols=(1e-8, 1e-8), method="a")),
        Claim("converges", "q1", "", converges(method=["a", "b"]), unit="series"),
        Claim("flat_b", "q1", "", flat(method="b"), unit="series"),
        Claim("other_category", "q1", "", per_cell(("wrong",), category="stiff")),
        Claim("above", "q1", "", error_above(1e-3, method=["a", "b"])),  # a @ 1e-8 is below
    ]
    table = evaluate(atlas, claims).set_index("id")
    assert table.loc["all_accurate", "status"] == "contradicted"
    assert table.loc["all_accurate", "contradicting"] == 3  # a @ 1e-3, b @ both
    assert table.loc["tight_accurate", "status"] == "supported"
    assert (table.loc["converges", "supporting"], table.loc["converges", "contradicting"]) == (1, 1)
    assert table.loc["flat_b", "status"] == "supported"
    assert table.loc["other_category", "status"] == "no cells"
    assert (table.loc["above", "supporting"], table.loc["above", "contradicting"]) == (3, 1)
