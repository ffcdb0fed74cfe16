"""The failure classes the zoo was missing, against closed-form gradients (not our own machinery).

(a) the error estimate is blind to the tangents (equilibrium_start, symmetric_pair);
(b) a discontinuity in time, solved across it or stepped onto it (dose_switch[_stepped]);
(c) a state below the absolute tolerance, and the same model rescaled (tiny_state[_scaled]).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import cell as run_cell
from helpers import reference

import gradatlas as ga

from conftest import ALL_MODELS

EXACT = [m for m in ALL_MODELS if ga.MODELS[m].exact_solution is not None]
OBSERVE = {"symmetric_pair": ("x",), "tiny_state": ("y2",), "tiny_state_scaled": ("y2",)}


def _gauss(f, a, b, n=200):
    x, w = np.polynomial.legendre.leggauss(n)
    t = jnp.asarray(0.5 * (b - a) * x + 0.5 * (b + a))
    return 0.5 * (b - a) * jnp.sum(jnp.asarray(w)[:, None] * f(t), axis=0)


def exact_gradient(model: str, design: str, ref) -> np.ndarray:
    """The gradient of the design's loss from the model's closed form (no ODE solver).
    Time averages by Gauss-Legendre quadrature, split at the model's jumps."""
    m = ga.MODELS[model]
    obs = m.state_indices(list(ref.observe))
    T = m.t1
    if design == "final_state":

        def loss(p):
            return jnp.mean(m.exact_solution(jnp.array([T]), p)[-1, obs])

    elif design == "data_fit":

        def loss(p):
            return jnp.mean(
                (m.exact_solution(jnp.asarray(ref.ts), p)[:, obs] - jnp.asarray(ref.targets)) ** 2
            )

    else:
        jumps = [2.5] if m.failure_class == "discontinuity" else []
        cuts = [m.t0, *jumps, T]

        def loss(p):
            parts = [
                _gauss(lambda t: m.exact_solution(t, p)[:, obs], a, b)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True)
            ]
            return jnp.mean(sum(parts)) / (T - m.t0)

    return np.asarray(jax.grad(loss)(jnp.asarray(ref.point)))


def error(grad, exact) -> float:
    return float(np.linalg.norm(np.asarray(grad) - exact) / np.linalg.norm(exact))


@pytest.fixture(scope="module")
def refs():
    cache = {}

    def get(model, design):
        if (model, design) not in cache:
            cache[model, design] = reference(model, design, OBSERVE.get(model, "all"))
        return cache[model, design]

    return get


@pytest.mark.parametrize("design", ["final_state", "time_average", "data_fit"])
@pytest.mark.parametrize("model", EXACT)
def test_reference_matches_the_closed_form(refs, model, design):
    """Every model with a closed form: the reference gradient agrees with it to 1e-8."""
    ref = refs(model, design)
    assert ref.status == "ok", ref.message
    assert error(ref.grad, exact_gradient(model, design, ref)) < 1e-8


@pytest.mark.parametrize("model", ["equilibrium_start", "symmetric_pair"])
@pytest.mark.parametrize("design", ["final_state", "time_average"])
def test_a_tangents_outside_the_error_norm_do_not_converge(refs, model, design):
    """(a) The states are integrated (nearly) exactly, so the solver takes a handful of steps:
    forward_jvp and reverse_checkpoint differentiate that discretisation, and their gradient
    is wrong by the same amount at every tolerance; with the sensitivities in the error norm
    (forward_sensitivity) the gradient converges."""
    ref = refs(model, design)
    exact = exact_gradient(model, design, ref)
    for method in ("forward_jvp", "reverse_checkpoint"):
        cell = run_cell(model, "tsit5", design, method, [1e-3, 1e-8], ref, repeats=1)
        errs = [error(g, exact) for g in cell.grad]
        assert min(errs) > 0.1, (method, errs)
        assert abs(errs[1] - errs[0]) < 0.05 * errs[0], (method, errs)  # tightening rtol does not help
        assert max(cell.n_steps) <= 8, cell.n_steps
    sens = run_cell(model, "tsit5", design, "forward_sensitivity", [1e-3, 1e-8], ref, repeats=1)
    errs = [error(g, exact) for g in sens.grad]
    assert errs[1] < 1e-6 and errs[1] < 1e-3 * errs[0], errs


def test_b_stepping_onto_the_discontinuity(refs):
    """(b) data_fit across the dose switch: at rtol 1e-3 forward_jvp is wrong when the solver
    steps across t_d and accurate when it steps onto it; both converge."""
    errs = {}
    for model in ("dose_switch", "dose_switch_stepped"):
        ref = refs(model, "data_fit")
        exact = exact_gradient(model, "data_fit", ref)
        cell = run_cell(model, "tsit5", "data_fit", "forward_jvp", [1e-3, 1e-8], ref, repeats=1)
        errs[model] = [error(g, exact) for g in cell.grad]
    assert errs["dose_switch"][0] > 0.1 and errs["dose_switch_stepped"][0] < 1e-2, errs
    assert errs["dose_switch"][1] < 1e-4 and errs["dose_switch_stepped"][1] < 1e-4, errs


def test_b_cvodes_runs_a_time_dependent_vector_field(refs):
    """CVODES (the independent peer) on the dose switch, a vector field that depends on t."""
    ref = refs("dose_switch", "final_state")
    cell = run_cell("dose_switch", "tsit5", "final_state", "cvodes_forward", [1e-8], ref, repeats=1)
    assert cell.status == ["ok"]
    assert error(cell.grad[0], exact_gradient("dose_switch", "final_state", ref)) < 1e-4
    stepped = run_cell("dose_switch_stepped", "tsit5", "final_state", "cvodes_forward", [1e-8],
                       refs("dose_switch_stepped", "final_state"), repeats=1)  # fmt: skip
    assert stepped.status == ["unsupported"] and "jump times" in stepped.message[0]


def test_c_a_state_below_the_absolute_tolerance(refs):
    """(c) y2 ~ 1e-10 with atol = rtol: at rtol 1e-6 its gradient is off by orders of magnitude;
    the same gradient with y2 in units of its own scale is accurate there."""
    errs = {}
    for model in ("tiny_state", "tiny_state_scaled"):
        ref = refs(model, "final_state")
        cell = run_cell(model, "tsit5", "final_state", "forward_jvp", [1e-6], ref, repeats=1)
        errs[model] = error(cell.grad[0], exact_gradient(model, "final_state", ref))
    assert errs["tiny_state"] > 1e3 and errs["tiny_state_scaled"] < 1e-2, errs


def test_every_method_declares_its_error_control():
    """(d) the atlas's tangent_error_control coordinate comes from each method's declaration."""
    declared = {m: ga.METHODS[m].tangent_error_control for m in ga.METHODS.slugs()}
    assert declared["forward_jvp"] is False and declared["forward_sensitivity"] is True
    assert all(isinstance(v, bool) for v in declared.values())
