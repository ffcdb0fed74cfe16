"""Bring your own model: the README's plug-in example end to end, model checks, and `gradatlas check`."""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helpers import DEFAULTS, reference, scores
from helpers import cell as run_cell

import gradatlas as ga
from gradatlas.config import ConfigError
from gradatlas.grid import check_config

from conftest import ROOT, make_workdir, planned_jobs, snakemake

EXAMPLE_CONFIG = "examples/logistic.yaml"


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)\n```", text, flags=re.S)


def test_readme_example_is_the_file_under_test():
    """The README's code blocks are the example files the tests run, character for character."""
    assert (ROOT / "examples/logistic.py").read_text().rstrip("\n") in readme_blocks("python")
    assert (ROOT / EXAMPLE_CONFIG).read_text().rstrip("\n") in readme_blocks("yaml")
    assert f"snakemake --cores 2 --configfile {EXAMPLE_CONFIG}" in readme_blocks("bash")


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory):
    """The README's plug-in command, as written, in a fresh copy of the workflow."""
    work = make_workdir(tmp_path_factory.mktemp("plugin"))
    snakemake(work, configfile=EXAMPLE_CONFIG)
    return work


def _logistic_final_state_gradient(r, K, y0=0.5, t=10.0):
    """d y(t) / d(r, K) of the closed form y = K / (1 + (K/y0 - 1) exp(-r t))."""
    e = np.exp(-r * t)
    a = K / y0 - 1.0
    y = K / (1 + a * e)
    dy_dr = K * a * t * e / (1 + a * e) ** 2
    dy_dk = 1 / (1 + a * e) - K * (e / y0) / (1 + a * e) ** 2
    return y, np.array([dy_dr, dy_dk])


def test_plugin_example_runs_through_snakemake(plugin_run):
    atlas = xr.open_dataset(plugin_run / "results" / "atlas.nc")
    assert "logistic" in atlas["model"].values and "lotka_volterra" in atlas["model"].values
    status = atlas["status"].sel(model="logistic").values
    assert np.all(status == "ok"), status
    regime = atlas["regime"].sel(model="logistic", design="final_state", rtol=1e-9).values
    assert np.all(regime == "accurate"), regime
    for ext in ("svg", "png", "findings.html"):
        assert (plugin_run / "results" / "figures" / f"regime_map.{ext}").exists()
    # the reference of the plug-in model agrees with the closed-form gradient (an independent truth)
    ref = xr.open_dataset(plugin_run / "results/references/logistic/final_state.nc")
    _, exact = _logistic_final_state_gradient(1.0, 10.0)
    np.testing.assert_allclose(ref["ref_grad"].values, exact, rtol=1e-9)
    check = pd.read_csv(plugin_run / "results" / "reference_check.csv").set_index(["model", "design"])
    assert check.loc[("logistic", "final_state"), "flag"] == "ok"


def test_editing_the_model_file_reruns_only_its_jobs(plugin_run):
    model_file = plugin_run / "examples" / "logistic.py"
    text = model_file.read_text()
    model_file.write_text(text + "\n# an edit\n")
    try:
        proc = snakemake(plugin_run, "-n", configfile=EXAMPLE_CONFIG)
    finally:
        model_file.write_text(text)
    planned = planned_jobs(proc)
    models = set(re.findall(r"wildcards: model=(\w+)", proc.stdout))
    assert models == {"logistic"}, models
    assert planned["compute_reference"] == 2 and planned["check_reference"] == 2
    assert planned["run_sweep"] == 6 and planned["aggregate_atlas"] == 1


def test_report_of_the_plugin_example(plugin_run):
    snakemake(plugin_run, "--report", "results/report.html", configfile=EXAMPLE_CONFIG)
    assert "logistic" in (plugin_run / "results" / "report.html").read_text(errors="replace")


# ---- model files, checked before any job runs ----
LOGISTIC_LIKE = '''
from gradatlas import AbstractModel, Parameter, State, register_model


class M(AbstractModel):
    """A test model: {doc}. Made up for this test."""

    slug = "{slug}"
    category = "nonstiff"
    parameters = (Parameter("r", 1.0),)
    states = (State("y", 0.5),)
    t1 = 5.0

    def rhs(self, t, y, p, np):
        {body}


register_model(M())
'''


def _model_file(path, slug, body, doc="logistic growth"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOGISTIC_LIKE.format(slug=slug, body=textwrap.dedent(body).strip(), doc=doc))
    return path


def _config(path, slug, **keys):
    return ga.with_defaults({**DEFAULTS, "model_files": [str(path)], "models": [slug], **keys})


def test_two_files_with_the_same_name_both_load(tmp_path):
    a = _model_file(tmp_path / "a" / "model.py", "same_name_a", "return np.stack([-p[0] * y[0]])")
    b = _model_file(tmp_path / "b" / "model.py", "same_name_b", "return np.stack([p[0] * y[0]])")
    checked = check_config(_config(a, "same_name_a", model_files=[str(a), str(b)]))
    assert checked.model_files == {"same_name_a": str(a), "same_name_b": str(b)}


@pytest.mark.parametrize(
    "slug, body, expected",
    [
        ("bad_shape", "return np.stack([y[0], y[0]])", ["must return shape (1,)", "returned shape (2,)"]),
        ("bad_value", "return np.stack([np.log(y[0] - 1.0)])", ["must be finite", "y = nan"]),
        ("bad_if", "return np.stack([y[0] if y[0] > 0 else -y[0]])", ["JAX cannot trace", "np.where"]),
    ],
)
def test_a_broken_model_stops_before_any_job(tmp_path, slug, body, expected):
    path = _model_file(tmp_path / f"{slug}.py", slug, body)
    with pytest.raises(ConfigError) as info:
        check_config(_config(path, slug))
    message = str(info.value)
    assert str(path) in message and f"model {slug!r}" in message
    for text in expected:
        assert text in message, message


def test_a_model_casadi_cannot_evaluate_runs_in_jax_only(tmp_path):
    body = "import jax.numpy as jnp\n        return jnp.stack([-p[0] * jnp.sin(y[0])])"
    path = _model_file(tmp_path / "jax_only.py", "jax_only", body)
    checked = check_config(_config(path, "jax_only"))
    assert len(checked.warnings) == 1 and "CasADi backend cannot evaluate" in checked.warnings[0]
    ref = reference("jax_only", "final_state", rtol=1e-10, check_rtol=1e-8)
    jax_cell = run_cell("jax_only", "tsit5", "final_state", "forward_jvp", [1e-6], ref, repeats=1)
    assert jax_cell.status == ["ok"] and scores(jax_cell, ref).regime == ["accurate"]
    cv_cell = run_cell("jax_only", "tsit5", "final_state", "cvodes_forward", [1e-6], ref, repeats=1)
    assert cv_cell.status == ["unsupported"] and "CasADi backend cannot evaluate" in cv_cell.message[0]


def test_a_vector_field_that_goes_nan_is_nonfinite_not_max_steps(tmp_path):
    """NaN for t > 2: the solver rejects every step from there and runs out of steps; the status
    says nonfinite and the message says where, not "try increasing max_steps"."""
    path = _model_file(
        tmp_path / "goes_nan.py",
        "goes_nan",
        "return np.stack([np.where(t > 2.0, np.log(-y[0]), -p[0] * y[0])])",
    )
    check_config(_config(path, "goes_nan"))  # finite at t0: passes the check
    ref = reference("goes_nan", "final_state", rtol=1e-10, check_rtol=1e-8, max_steps=20_000)
    assert ref.status == "nonfinite" and "just after t = 2" in ref.message, ref.message
    cell = run_cell("goes_nan", "tsit5", "final_state", "forward_jvp", [1e-6], ref, max_steps=2000, repeats=1)
    assert cell.status == ["nonfinite"], cell.message
    assert "NaN or inf just after t = 2" in cell.message[0] and "max_steps" not in cell.message[0]


def test_gradient_with_respect_to_some_parameters(tmp_path):
    """parameters: {model: [names]} takes the gradient w.r.t. those alone; it equals the
    matching entries of the full gradient (lotka_volterra, data_fit)."""
    full = reference("lotka_volterra", "final_state", rtol=1e-11, check_rtol=1e-9)
    part = reference(
        "lotka_volterra", "final_state", parameters=("beta", "delta"), rtol=1e-11, check_rtol=1e-9
    )
    assert part.parameters == ["beta", "delta"]
    np.testing.assert_allclose(part.grad, full.grad[[1, 3]], rtol=1e-9)
    cell = run_cell("lotka_volterra", "tsit5", "final_state", "reverse_checkpoint", [1e-8], part,
                    parameters=("beta", "delta"), repeats=1)  # fmt: skip
    assert cell.grad.shape == (1, 2) and scores(cell, part).regime == ["accurate"]


# ---- the gradatlas command ----
def test_help_is_fast_and_lists_user_commands_apart():
    code = (
        "import sys\nfrom gradatlas.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('JAX IMPORTED' if 'jax' in sys.modules else 'no jax')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("no jax")
    user, pipeline = out.split("pipeline commands", 1)
    assert "check " in user and "check-config" in user and "sweep" not in user
    assert "sweep" in pipeline and "aggregate" in pipeline


def test_check_gives_a_verdict_for_the_example(tmp_path):
    outdir = tmp_path / "check"
    cmd = [sys.executable, "-m", "gradatlas", "check", "examples/logistic.py", "--outdir", str(outdir),
           "--designs", "final_state", "--rtols", "1e-3", "1e-8", "--cores", "2"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    verdict = pd.read_csv(outdir / "verdict.csv").set_index(["design", "method"])
    methods = set(ga.METHODS.slugs())
    assert set(verdict.loc["final_state"].index) == methods
    assert verdict.loc[("final_state", "forward_jvp"), "verdict"] == "accurate"
    assert verdict.loc[("final_state", "forward_jvp"), "loosest_accurate_rtol"] == pytest.approx(1e-3)
    assert "trust from rtol" in proc.stdout and "forward_sensitivity" in proc.stdout
    html = (outdir / "check.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "Verdict" in html
