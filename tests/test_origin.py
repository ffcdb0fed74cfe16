"""The origin case: the qualitative pattern the data supports (no hard-coded magnitudes)."""

import numpy as np
import pytest
from helpers import DEFAULTS, reference, scores
from helpers import cell as run_cell

from gradatlas import settings
from gradatlas.origin import LARGE, LYAPUNOV_LORENZ63, lyapunov_fit, origin_table, sensitivity_growth


@pytest.fixture(scope="module")
def table():
    # n_obs=500: the thread's 1 ms grid (saveat=1) over 0-500 ms
    s = settings.origin_settings(DEFAULTS, "stg_liu1998")
    assert s.n_obs == 500, "the schema's default is the thread's grid"
    return origin_table(s, accurate_rtols=(1e-10,)).set_index("row")


def test_dual_number_mechanism_is_large(table):
    """Row 1: sensitivities in the error norm give a spurious gradient of the order of the
    local gradient scale (the thread: 1.45e6 where the truth is 0)."""
    assert table.loc["1", "status"] == "ok"
    assert table.loc["1", "error"] >= LARGE


@pytest.mark.parametrize("row", ["2", "3b", "6"])
def test_thread_fixes_that_work_here_are_small(table, row):
    """Row 2 (very accurate solve), 3b (discrete adjoint) and 6 (JAX forward mode):
    the spurious gradient is tiny against the local scale."""
    assert table.loc[row, "error"] < 1e-4, table.loc[row, ["method", "error"]]


def test_slow_state_does_not_explode(table):
    """Row 5: observing calcium, the raw gradient norm is orders of magnitude below row 1's."""
    assert table.loc["5", "grad_norm"] < 1e-2 * table.loc["1", "grad_norm"]


def test_uniform_grid_does_not_remove_the_error_with_sensitivities_in_the_norm(table):
    """Row 4a contradicts the thread: with sensitivities in the error norm the differentiated
    run steps differently, so its interpolants on the 1 ms grid still miss the targets."""
    assert table.loc["4a", "error"] >= LARGE
    assert table.loc["4a", "agrees"] == "no"


def test_lyapunov_exponent_from_sensitivity_growth():
    """Lorenz-63: log ||S(t)|| grows with slope ~ the largest Lyapunov exponent, 0.906."""
    ts, norms, result = sensitivity_growth("lorenz63", t1=40.0, rtol=1e-12)
    assert result == 0
    lam, _ = lyapunov_fit(ts, norms)
    assert abs(lam - LYAPUNOV_LORENZ63) < 0.15 * LYAPUNOV_LORENZ63, lam


def test_long_chaotic_horizon_has_no_reference():
    """Beyond ~30 time units no gradient (the reference's included) is meaningful: the
    reference's estimated error exceeds the threshold, and cells say no_reference."""
    short = reference("lorenz63", "data_fit", t1=5.0, max_steps=2_000_000)
    long = reference("lorenz63", "data_fit", t1=40.0, max_steps=2_000_000)
    assert short.error < 1e-8
    assert long.error > 1e-2
    cell = run_cell("lorenz63", "tsit5", "data_fit", "forward_jvp", [1e-8], long, repeats=1)
    score = scores(cell, long)
    assert score.regime == ["no_reference"] and np.isnan(score.error[0])
