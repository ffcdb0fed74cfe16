"""Reference gradients: their error estimates are honest, and zero-gradient designs are zero."""

import numpy as np
import pytest

import gradatlas as ga


@pytest.mark.parametrize(
    "model,design",
    [("lotka_volterra", "data_fit"), ("van_der_pol", "final_state"), ("robertson", "time_average")],
)
def test_reference_error_estimate_is_honest(model, design):
    """A much tighter solve stays within the estimated error of a looser reference."""
    loose = ga.compute_reference(model, design, rtol=1e-9, check_rtol=1e-7)
    tight = ga.compute_reference(model, design, rtol=1e-12, check_rtol=1e-10)
    assert loose.status == tight.status == "ok"
    actual = np.linalg.norm(loose.grad - tight.grad) / np.linalg.norm(tight.grad)
    assert actual <= loose.error, (actual, loose.error)
    assert tight.error < loose.error


@pytest.mark.parametrize("design", ["nominal_steps", "uniform", "uniform_clipped"])
def test_zero_gradient_designs(design):
    ref = ga.compute_reference("lotka_volterra", design, rtol=1e-10, check_rtol=1e-8)
    assert ref.zero_gradient and np.all(ref.grad == 0)
    assert ref.scale > 0 and ref.error < 1e-4


def test_data_fit_point_is_perturbed_reproducibly():
    a = ga.compute_reference("lotka_volterra", "data_fit", seed=3, rtol=1e-8, check_rtol=1e-6)
    b = ga.compute_reference("lotka_volterra", "data_fit", seed=3, rtol=1e-8, check_rtol=1e-6)
    p0 = np.asarray(ga.MODELS["lotka_volterra"].p0)
    np.testing.assert_array_equal(a.point, b.point)
    assert not np.allclose(a.point, p0)
    np.testing.assert_allclose(a.point, p0 * (1 + a.delta))
