"""Reference gradients: their error estimates are honest, and zero-gradient designs are zero."""

import numpy as np
import pytest
from helpers import reference, reference_settings

import gradatlas as ga


@pytest.mark.parametrize(
    "model,design,observe",
    [
        ("lotka_volterra", "data_fit", "all"),
        ("van_der_pol", "final_state", "all"),
        ("robertson", "time_average", "y3"),
    ],
)
def test_reference_error_estimate_is_honest(model, design, observe):
    """A much tighter solve stays within the estimated error of a looser reference.
    (Robertson observes y3: the mean of all three states is conserved, so its gradient is 0.)"""
    loose = reference(model, design, observe, rtol=1e-9, check_rtol=1e-7)
    tight = reference(model, design, observe, rtol=1e-12, check_rtol=1e-10)
    assert loose.status == tight.status == "ok"
    actual = np.linalg.norm(loose.grad - tight.grad) / np.linalg.norm(tight.grad)
    assert actual <= loose.error, (actual, loose.error)
    assert tight.error < loose.error


@pytest.mark.parametrize("design", ["nominal_steps", "uniform", "uniform_clipped"])
def test_zero_gradient_designs(design):
    ref = reference("lotka_volterra", design, rtol=1e-10, check_rtol=1e-8)
    assert ref.zero_gradient and np.all(ref.grad == 0)
    assert ref.scale > 0 and ref.error < 1e-4


def test_data_fit_point_is_perturbed_reproducibly():
    a = reference("lotka_volterra", "data_fit", seed=3, rtol=1e-8, check_rtol=1e-6)
    b = reference("lotka_volterra", "data_fit", seed=3, rtol=1e-8, check_rtol=1e-6)
    p0 = np.asarray(ga.MODELS["lotka_volterra"].p0)
    np.testing.assert_array_equal(a.point, b.point)
    assert not np.allclose(a.point, p0)
    np.testing.assert_allclose(a.point, p0 * (1 + a.delta))


def test_conserved_quantity_has_no_reference():
    """Robertson conserves y1 + y2 + y3: the time average of all three states has gradient 0,
    which no relative error can judge; the reference's error estimate says so."""
    ref = reference("robertson", "time_average", rtol=1e-10, check_rtol=1e-8)
    assert np.linalg.norm(ref.grad) < 1e-12 and ref.error > 1e-2


@pytest.mark.parametrize("model,design", [("lotka_volterra", "data_fit"), ("lorenz63", "final_state")])
def test_cvodes_confirms_the_reference(model, design):
    """SUNDIALS CVODES (an implementation nobody here wrote) agrees with the reference
    to about 1e-8 relative on non-chaotic problems and short horizons."""
    from gradatlas.reference import cvodes_cross_check

    check = cvodes_cross_check(reference(model, design), reference_settings(model, design))
    assert check["cvodes_rtol"] <= 1e-10, check["cvodes_message"]
    assert check["cvodes_disagreement"] < 1e-7, check


def test_cvodes_confirms_a_zero_gradient_scale():
    from gradatlas.reference import cvodes_cross_check

    check = cvodes_cross_check(
        reference("lotka_volterra", "uniform"), reference_settings("lotka_volterra", "uniform")
    )
    assert check["cvodes_disagreement"] < 1e-7, check


def test_per_model_reference_settings_override_the_global_ones():
    """reference.by_model replaces what it names (rtol, check_rtol, max_steps) for that model only."""
    from gradatlas import settings
    from gradatlas.config import validate

    config = validate({"models": ["hires", "robertson"], "solvers": ["kvaerno5"], "designs": ["data_fit"],
                       "methods": ["forward_jvp"], "rtols": [1e-3], "reference": {
                           "by_model": {"hires": {"rtol": 1e-10, "check_rtol": 1e-8, "max_steps": 1000}}}})  # fmt: skip
    hires = settings.reference_settings(config, "hires", "data_fit", None)
    other = settings.reference_settings(config, "robertson", "data_fit", None)
    assert (hires.rtol, hires.check_rtol, hires.max_steps) == (1e-10, 1e-8, 1000)
    defaults = settings.schema_defaults()["reference"]
    assert (other.rtol, other.check_rtol, other.max_steps) == (
        defaults["rtol"], defaults["check_rtol"], defaults["max_steps"])  # fmt: skip
