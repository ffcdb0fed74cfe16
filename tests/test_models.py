"""Model zoo: metadata, Jacobians against finite differences, finiteness off the trajectory,
published behaviour (STG bursting, HIRES/Robertson reference values)."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradatlas as ga
from gradatlas.models.stg_liu1998 import DEFAULT_SET, PUBLISHED_SETS

from conftest import ALL_MODELS, random_states


@pytest.mark.parametrize("slug", ALL_MODELS)
def test_model_owns_its_truth(slug):
    m = ga.MODELS[slug]
    assert m.__doc__ and len(m.__doc__) > 100, "equations and citation belong in the docstring"
    assert m.category in ("nonstiff", "stiff", "spiking", "chaotic")
    assert len(m.param_names) == len(set(m.param_names)) == m.n_params > 0
    assert all(q.units for q in m.parameters) and all(s.units for s in m.states)
    assert m.t1 > m.t0 and m.atol_scale > 0
    assert m.reference_solver in ga.SOLVERS
    f = m.vector_field(0.0, m.y0, m.p0)
    assert f.shape == (m.n_states,) and bool(jnp.all(jnp.isfinite(f)))


@pytest.mark.parametrize("slug", ALL_MODELS)
def test_jacobian_matches_finite_differences(slug):
    """jax.jacfwd of the vector field against central differences (an independent method).

    Compared column by column as responses to *relative* perturbations, J[:, k] x_k,
    with a tolerance relative to each row's size: rate constants span 1e-4..4e11
    (POLLU), so absolute differences would only measure cancellation.
    """
    m = ga.MODELS[slug]
    p = np.asarray(m.p0)
    h = 1e-5
    for y in random_states(m, 3):
        y_j, p_j = jnp.asarray(y), jnp.asarray(p)
        jy, jp = (np.asarray(j) for j in jax.jacfwd(m.vector_field, argnums=(1, 2))(0.0, y_j, p_j))
        for jac, x, arg in ((jy, y, 1), (jp, p, 2)):
            fd = np.empty_like(jac)
            for k in range(len(x)):
                step = h * (x[k] if x[k] != 0 else 1.0)
                args = [0.0, y_j, p_j]
                args[arg] = jnp.asarray(x).at[k].add(step)
                fp = np.asarray(m.vector_field(*args))
                args[arg] = jnp.asarray(x).at[k].add(-step)
                fm = np.asarray(m.vector_field(*args))
                fd[:, k] = (fp - fm) / (2 * step)
            xs = np.where(x != 0, np.abs(x), 1.0)
            row = np.abs(np.asarray(m.vector_field(0.0, y_j, p_j))) + np.abs(jac * xs).sum(axis=1)
            err = np.abs(jac - fd) * xs
            assert np.all(err <= 1e-6 * row[:, None] + 1e-12), (
                arg,
                np.unravel_index(np.argmax(err / row[:, None]), err.shape),
            )


@pytest.mark.parametrize("slug", ALL_MODELS)
def test_vector_field_and_gradients_finite_off_trajectory(slug):
    """Rejected trial stages can reach |y| ~ 1e7 (HH: V = -7e6); the field and its
    Jacobian must stay finite there so that reverse mode does not return NaN."""
    m = ga.MODELS[slug]
    for big in (-7e6, 7e6):
        y = m.y0 + big
        f = m.vector_field(0.0, y, m.p0)
        jac = jax.jacfwd(m.vector_field, argnums=(1, 2))(0.0, y, m.p0)
        assert bool(jnp.all(jnp.isfinite(f))), f
        assert all(bool(jnp.all(jnp.isfinite(j))) for j in jac)


def _solve(m, p, ts, rtol=1e-10):
    return diffrax.diffeqsolve(
        diffrax.ODETerm(m.vector_field), ga.SOLVERS[m.reference_solver].make(), m.t0, ts[-1], None,
        m.y0, jnp.asarray(p), saveat=diffrax.SaveAt(ts=jnp.asarray(ts)),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=rtol * m.atol_scale),
        max_steps=200_000,
    )  # fmt: skip


def _spike_times(ts, v):
    up = np.where((v[1:] > -20) & (v[:-1] <= -20))[0]
    return ts[up]


def test_stg_bursts():
    """Liu et al. (1998): the default conductance set bursts within 0-500 ms:
    several bursts of several spikes, with gaps much longer than the spike intervals."""
    m = ga.MODELS["stg_liu1998"]
    ts = np.linspace(0, 500, 20001)
    v = np.asarray(_solve(m, m.p0, ts).ys[:, 0])
    spikes = _spike_times(ts, v)
    isi = np.diff(spikes)
    gaps = isi > 5 * np.min(isi)
    n_bursts = int(gaps.sum()) + 1
    assert n_bursts >= 2, spikes
    assert len(spikes) >= 2 * n_bursts, "bursts, not single spikes"
    assert v.max() > 20 and v.min() < -60


def test_stg_default_is_a_published_set():
    m = ga.MODELS["stg_liu1998"]
    np.testing.assert_array_equal(np.asarray(m.p0), PUBLISHED_SETS[DEFAULT_SET])


def test_robertson_published_value():
    """Hairer & Wanner (1996) Robertson: y1(40) = 0.7158270687..., y3(40) = 0.2841637457..."""
    m = ga.MODELS["robertson"]
    y = np.asarray(_solve(m, m.p0, np.array([40.0])).ys[-1])
    np.testing.assert_allclose(y[[0, 2]], [0.7158270687, 0.2841637457], rtol=1e-8)


def test_hires_published_value():
    """Test Set for IVP Solvers, HIRES reference solution at t = 321.8122."""
    m = ga.MODELS["hires"]
    y = np.asarray(_solve(m, m.p0, np.array([321.8122]), rtol=1e-10).ys[-1])
    ref = [0.000737131257332567, 0.000144248572631618, 0.000058887297409676, 0.001175651343283149,
           0.002386356198831330, 0.006238968252742796, 0.002849998395185769, 0.002850001604814231]  # fmt: skip
    np.testing.assert_allclose(y, ref, rtol=1e-6)


def test_linear_decay_exact_solution():
    m = ga.MODELS["linear_decay"]
    ts = np.linspace(0.5, 5, 10)
    np.testing.assert_allclose(
        _solve(m, m.p0, ts, 1e-12).ys, m.exact_solution(jnp.asarray(ts), m.p0), rtol=1e-8
    )


def test_user_model_file(tmp_path):
    src = '''
from gradatlas import AbstractModel, Parameter, State, register_model

class Growth(AbstractModel):
    """Logistic growth, dy/dt = r y (1 - y). Verhulst (1838)."""
    slug = "user_logistic"
    category = "nonstiff"
    parameters = (Parameter("r", 1.0, "1/s"),)
    states = (State("y", 0.1),)
    t1 = 5.0

    def rhs(self, t, y, p, np):
        return np.stack([p[0] * y[0] * (1.0 - y[0])])

register_model(Growth())
'''
    path = tmp_path / "my_model.py"
    path.write_text(src)
    ga.load_model_file(path)
    m = ga.MODELS["user_logistic"]
    y = _solve(m, m.p0, np.array([5.0]), 1e-10).ys[-1, 0]
    exact = 1.0 / (1.0 + 9.0 * np.exp(-5.0))
    assert abs(float(y) - exact) < 1e-8
    with pytest.raises(FileNotFoundError):
        ga.load_model_file(tmp_path / "missing.py")


def test_state_subset_errors_list_valid_states():
    with pytest.raises(ValueError, match="valid states are: V, Ca"):
        ga.MODELS["stg_liu1998"].state_indices(["Vm"])
