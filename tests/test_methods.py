"""Differentiation methods against analytic gradients, each other, and the origin mechanism."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import cell as run_cell
from helpers import reference, scores

import gradatlas as ga

from conftest import ALL_METHODS

# Analytic gradients of linear_decay losses: the closed-form solution differentiated
# by JAX (no ODE solver involved), an independent truth.
LD = ga.MODELS["linear_decay"]


def _analytic_final_state(p):
    return jnp.mean(LD.exact_solution(jnp.array([LD.t1]), p)[-1])


def _analytic_time_average(p):
    # (1/T) int_0^T mean(y1, y2) dt in closed form
    a, b, T = p[0], p[1], LD.t1
    i1 = (1 - jnp.exp(-a * T)) / a
    i2 = a / (b - a) * ((1 - jnp.exp(-a * T)) / a - (1 - jnp.exp(-b * T)) / b)
    return 0.5 * (i1 + i2) / T


def _analytic_data_fit(p, ref):
    ys = LD.exact_solution(jnp.asarray(ref.ts), p)
    return jnp.mean((ys - jnp.asarray(ref.targets)) ** 2)


@pytest.fixture(scope="module")
def ld_refs():
    return {d: reference("linear_decay", d) for d in ("final_state", "time_average", "data_fit")}


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("design", ["final_state", "time_average", "data_fit"])
def test_method_matches_analytic_gradient(method, design, ld_refs):
    ref = ld_refs[design]
    p = jnp.asarray(ref.point)
    if design == "final_state":
        exact = jax.grad(_analytic_final_state)(p)
    elif design == "time_average":
        exact = jax.grad(_analytic_time_average)(p)
    else:
        # targets are the reference solution at p0; the analytic loss uses them too
        exact = jax.grad(_analytic_data_fit)(p, ref)
    rtol = 1e-11
    cell = run_cell("linear_decay", "dopri8", design, method, [rtol], ref, repeats=1)
    assert cell.status == ["ok"], cell.message
    # finite differences are limited by the O(h^2) rule; BacksolveAdjoint re-solves the
    # state backwards, so its gradient is only approximate (diffrax's documentation)
    # the others are limited by dense-output interpolation at the observation times
    tol = {"finite_difference": 1e-4, "backsolve_adjoint": 1e-5}.get(method, 1e-6)
    np.testing.assert_allclose(
        cell.grad[0], np.asarray(exact), rtol=tol, atol=tol * float(jnp.abs(exact).max())
    )
    # and the reference itself is right to far better than its own estimated error bound
    np.testing.assert_allclose(ref.grad, np.asarray(exact), rtol=1e-9, atol=1e-12)


def test_methods_agree_on_a_smooth_problem(lv_reference):
    """Lotka-Volterra data_fit at rtol 1e-9: every method is accurate against the reference,
    and the exact-derivative-of-the-discretisation methods agree with each other closely."""
    grads = {}
    for method in ALL_METHODS:
        cell = run_cell("lotka_volterra", "tsit5", "data_fit", method, [1e-9], lv_reference, repeats=1)
        assert cell.status == ["ok"], (method, cell.message)
        score = scores(cell, lv_reference)
        assert score.regime == ["accurate"], (method, score.error)
        assert score.error[0] < (1e-3 if method == "finite_difference" else 1e-5), (method, score.error)
        grads[method] = cell.grad[0]
    # forward_jvp and reverse_checkpoint differentiate the same discretisation exactly
    np.testing.assert_allclose(grads["forward_jvp"], grads["reverse_checkpoint"], rtol=1e-9)


def test_error_converges_with_tolerance(lv_reference):
    """A convergent method's error falls as rtol is tightened (over 6 decades, at least 1e3x)."""
    cell = run_cell(
        "lotka_volterra", "tsit5", "data_fit", "forward_sensitivity", [1e-4, 1e-10], lv_reference, repeats=1
    )
    error = scores(cell, lv_reference).error
    assert error[1] < 1e-3 * error[0]


@pytest.mark.parametrize("model", ["hodgkin_huxley"])
def test_origin_mechanism(model):
    """nominal_steps at rtol 1e-3: the true gradient is 0. Sensitivities in the error norm
    change the steps, so forward_sensitivity returns a spurious gradient of at least 10 % of
    the local gradient scale; forward_jvp reuses the nominal steps and stays far below it."""
    ref = reference(model, "nominal_steps", observe="V", rtol=1e-10, check_rtol=1e-8)
    out = {
        meth: scores(run_cell(model, "tsit5", "nominal_steps", meth, [1e-3], ref, repeats=1), ref).error
        for meth in ("forward_sensitivity", "forward_jvp")
    }
    assert out["forward_sensitivity"][0] >= 0.1, out["forward_sensitivity"]
    assert out["forward_jvp"][0] <= 1e-6, out["forward_jvp"]


def test_failure_is_a_status_not_an_exception():
    """An explicit solver on Robertson with a small step budget fails as max_steps."""
    ref = reference("robertson", "final_state", rtol=1e-8, check_rtol=1e-6)
    cell = run_cell("robertson", "tsit5", "final_state", "forward_jvp", [1e-6], ref, max_steps=100, repeats=1)
    assert cell.status == ["max_steps"]
    assert "maximum number of solver steps" in cell.message[0]
    score = scores(cell, ref)
    assert score.regime == ["failed"] and np.isnan(score.error[0])


def test_unsupported_is_recorded(throwaway_method):
    class Never(ga.AbstractMethod):
        slug = "never_supported"
        description = "raises at trace time"
        tangent_error_control = False

        def value_and_grad(self, problem, p, rtol, obs):
            raise ga.UnsupportedCombination("this method cannot do anything")

    ref = reference("linear_decay", "final_state", rtol=1e-8, check_rtol=1e-6)
    throwaway_method(Never())
    cell = run_cell("linear_decay", "tsit5", "final_state", "never_supported", [1e-3, 1e-6], ref)
    assert cell.status == ["unsupported", "unsupported"]
    assert scores(cell, ref).regime == ["unsupported", "unsupported"]
    assert "cannot do anything" in cell.message[0]


def test_all_tolerances_share_one_trace(lv_reference):
    """Tolerances are traced arrays: five tolerances, one trace (eqx.debug.assert_max_traces)."""
    cell = run_cell(
        "lotka_volterra", "tsit5", "data_fit", "forward_jvp", np.logspace(-3, -7, 5), lv_reference,
        repeats=3, max_traces=1,
    )  # fmt: skip
    assert cell.status == ["ok"] * 5
    assert cell.run_times.shape == (5, 3) and np.all(cell.run_times > 0)
    assert cell.compile_time > 0


def test_assert_max_traces_catches_retracing():
    """The guard used above does fire on a retrace (so the previous test is meaningful)."""
    f = eqx.filter_jit(eqx.debug.assert_max_traces(lambda x: x + 1, max_traces=1))
    f(jnp.zeros(1))
    with pytest.raises(Exception, match="traced"):
        f(jnp.zeros(2))


def test_bad_tolerance_rejected(lv_reference):
    with pytest.raises(ValueError, match="positive"):
        run_cell("lotka_volterra", "tsit5", "data_fit", "forward_jvp", [1e-3, 0.0], lv_reference)
