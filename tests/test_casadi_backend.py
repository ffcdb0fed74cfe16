"""The CasADi backend evaluates every model's single definition like JAX does."""

import numpy as np
import pytest

import gradatlas as ga

from conftest import ALL_MODELS, random_states

casadi_backend = pytest.importorskip("gradatlas.casadi_backend", reason="casadi is a test dependency")


@pytest.mark.parametrize("slug", ALL_MODELS)
def test_casadi_and_jax_vector_fields_agree(slug):
    """20 random states per model: agreement to 1e-12 relative (the same definition,
    two independent evaluators)."""
    m = ga.MODELS[slug]
    f_ca = casadi_backend.vector_field_function(m)
    p = np.asarray(m.p0)
    for y in random_states(m, 20, seed=1):
        jax_f = np.asarray(m.vector_field(0.0, y, m.p0))
        ca_f = np.asarray(f_ca(0.0, y, p)).ravel()
        scale = np.abs(jax_f) + 1e-300
        assert np.all(np.abs(ca_f - jax_f) <= 1e-12 * np.abs(jax_f)), (
            slug, np.max(np.abs(ca_f - jax_f) / scale))  # fmt: skip
