"""Shared helpers, built from the registries so new parts are tested without editing tests."""

import os
import warnings

import numpy as np
import pytest

import gradatlas as ga

warnings.filterwarnings("ignore", message=".*Complex dtype.*")

ALL_MODELS = ga.MODELS.slugs()
ALL_METHODS = ga.METHODS.slugs()
ALL_DESIGNS = ga.DESIGNS.slugs()
ALL_SOLVERS = ga.SOLVERS.slugs()

# Re-runs of the suite reuse compiled programs (as the pipeline does). equinox
# reads EQX_ON_ERROR at import, so this only takes effect when the test command
# sets it; otherwise the cache is left alone.
if os.environ.get("EQX_ON_ERROR") == "nan":
    import jax

    jax.config.update("jax_compilation_cache_dir", os.path.abspath(".cache/jax-tests"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def random_states(model, n, seed=0):
    """States spread around y0, scaled per component, for vector-field checks."""
    rng = np.random.default_rng(seed)
    y0 = np.asarray(model.y0)
    spread = np.maximum(np.abs(y0), 0.1)
    return y0 + spread * rng.uniform(-0.5, 0.5, size=(n, model.n_states))


@pytest.fixture(scope="session")
def lv_reference():
    return ga.compute_reference("lotka_volterra", "data_fit", rtol=1e-11, check_rtol=1e-9)
