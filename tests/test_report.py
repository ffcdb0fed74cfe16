"""Reports: deterministic figures, the summary table, and the HTML report in a real browser."""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake

FIGURES = ["regime_map", "error_vs_tolerance", "work_precision", "failure_map"]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pipeline_writes_every_figure_and_the_summary(pipeline_run):
    for name in FIGURES:
        for ext in ("svg", "pdf", "png"):
            path = pipeline_run / "results" / "figures" / f"{name}.{ext}"
            assert path.exists() and path.stat().st_size > 1000, path
    # each figure's findings are about that figure (a heading of its own, computed content)
    # no layout gave up: matplotlib warns when the panels leave no room for their labels (the
    # regime map's blocks of one row once did, and its titles and tick labels overlapped)
    for name in FIGURES:
        assert "not applied" not in (pipeline_run / "logs" / "figures" / f"{name}.log").read_text(), name
    findings = {n: (pipeline_run / "results" / "figures" / f"{n}.findings.html").read_text() for n in FIGURES}
    assert all("What the current atlas shows" in text and "<p>" in text for text in findings.values())
    assert len({text.splitlines()[0] for text in findings.values()}) == len(FIGURES)
    table = pd.read_csv(pipeline_run / "results" / "summary.csv")
    assert {"model", "design", "method", "loosest_accurate_rtol", "error_at_default_rtol"} <= set(
        table.columns
    )
    # forward_jvp on nominal_steps is exact at any tolerance (the true gradient is 0), so
    # the loosest accurate tolerance is the loosest of the grid; forward_sensitivity's is not
    row = table.set_index(["model", "design", "method"]).loc[("stg_liu1998", "nominal_steps")]
    assert row.loc["forward_jvp", "loosest_accurate_rtol"] == pytest.approx(1e-3)
    assert row.loc["forward_sensitivity", "regime_at_default_rtol"] in ("wrong", "degraded")


def test_figures_are_byte_identical_across_runs(pipeline_run, tmp_path):
    """A second run on the same atlas (here, outside the pipeline) gives byte-identical SVG,
    PDF and PNG files to the pipeline's run."""
    atlas = pipeline_run / "results" / "atlas.nc"
    out = tmp_path / "figs"
    for name in FIGURES:
        subprocess.run(
            [sys.executable, "-m", "gradatlas", "plot", "--figure", name, "--atlas", str(atlas), "--outdir", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
    for name in FIGURES:
        for ext in ("svg", "pdf", "png"):
            path = out / f"{name}.{ext}"
            assert digest(path) == digest(pipeline_run / "results" / "figures" / f"{name}.{ext}"), (
                f"{name}.{ext} differs between runs"
            )


def test_figure_benchmark_runs_as_the_readme_writes_it(pipeline_run):
    """`python3 benchmarks/figures.py --atlas <atlas>` (README, "Measured timings"), on the
    quick atlas, for two figures: it draws them and reports a time each."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "benchmarks/figures.py", "--atlas", str(pipeline_run / "results" / "atlas.nc"),
         "--figures", "failure_map", "work_precision"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if "drawn and saved" in line]
    assert [line.split()[0] for line in lines] == ["failure_map", "work_precision"]


def _browser_available():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


@pytest.fixture(scope="module")
def report_html(pipeline_run):
    snakemake(pipeline_run, "atlas_figures", "--report", "results/report.html")
    return pipeline_run / "results" / "report.html"


def test_report_in_a_real_browser(report_html, tmp_path):
    """Open report.html in headless Chromium, navigate to every figure the way a reader
    does, and check that each image loads (decodes, has size) and is not blank."""
    if not _browser_available():
        msg = f"headless Chromium not found ({CHROMIUM}, {CHROMEDRIVER}); apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(msg)  # CI installs them: a missing browser there is an error, not a skip
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.get(report_html.as_uri())

        def click(text):
            deadline = time.time() + 20
            while time.time() < deadline:
                hits = [
                    e
                    for e in driver.find_elements("xpath", f"//*[normalize-space(text())='{text}']")
                    if e.is_displayed()
                ]
                if hits:
                    hits[0].click()
                    return
                time.sleep(0.2)
            raise AssertionError(f"no visible {text!r} in the report")

        body = driver.find_element("tag name", "body").text
        assert "gradatlas maps where gradients" in body  # the workflow description rendered
        for name in FIGURES:
            driver.get(report_html.as_uri())
            click("Figures")
            click(name)
            # the eye icon in the figure's row opens the image viewer
            driver.find_element(
                "xpath", f"//tr[td[normalize-space(text())='{name}']]//a[@iconname='eye']"
            ).click()
            deadline = time.time() + 20
            stats = None
            while time.time() < deadline and not stats:
                stats = driver.execute_script(
                    """
                    const img = [...document.images].find(i => i.src.includes('filename=' + arguments[0] + '.png'));
                    if (!img || !img.complete || img.naturalWidth === 0) return null;
                    const c = document.createElement('canvas');
                    c.width = img.naturalWidth; c.height = img.naturalHeight;
                    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
                    const d = ctx.getImageData(0, 0, c.width, c.height).data;
                    let n = 0, s = 0, s2 = 0;
                    for (let k = 0; k < d.length; k += 4 * 7) { const v = d[k] + d[k+1] + d[k+2]; n++; s += v; s2 += v * v; }
                    const mean = s / n;
                    return {w: img.naturalWidth, h: img.naturalHeight, std: Math.sqrt(s2 / n - mean * mean),
                            shown: img.getBoundingClientRect().width};
                    """,
                    name,
                )
                time.sleep(0.3)
            driver.save_screenshot(str(tmp_path / f"{name}.png"))
            assert stats, f"{name}: the figure did not load in the report"
            assert stats["w"] > 200 and stats["h"] > 100, stats
            assert stats["std"] > 20, f"{name}: the figure is blank ({stats})"
            assert stats["shown"] > 0, f"{name}: the figure is not displayed"
        shutil.copy(tmp_path / "regime_map.png", report_html.parent / "report_screenshot.png")
    finally:
        driver.quit()


def test_regime_map_colours_an_infinite_error_as_wrong():
    from gradatlas.plots._style import ERROR_RANGE
    from gradatlas.plots.regime_map import panel_values

    err = np.array([[1e-8, np.inf, np.nan, 0.0]])
    reg = np.array([["accurate", "wrong", "failed", "accurate"]])
    scored, val = panel_values(err, reg)
    assert scored.tolist() == [[True, True, False, True]]
    assert val[0, 0] == -8 and val[0, 1] >= ERROR_RANGE[1] and np.isnan(val[0, 2]) and np.isfinite(val[0, 3])
