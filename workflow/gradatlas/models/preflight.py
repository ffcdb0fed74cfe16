"""Checks a user's model before any job runs, with both backends.

At (t0, y0, p0) the vector field must return the declared shape and finite values,
and JAX must be able to trace it (a Python ``if`` on a state or parameter works on
numbers but not inside a solver). Those are errors: the message names the file, the
model, what was expected and what came back. If the CasADi backend cannot evaluate
the model, that is a warning: the model still runs in JAX, and its CVODES cells are
recorded as ``unsupported`` with the reason (:func:`casadi_problem`).
"""

from __future__ import annotations

import numpy as np

from ..config import ConfigError


def _where(path: str, model) -> str:
    return f"model file {path!r}, model {model.slug!r}"


def check_model(model, path: str) -> list[str]:
    """Raise ConfigError if the model cannot run; return warnings (CasADi) otherwise."""
    import jax

    t0, y0, p0 = model.t0, model.y0, model.p0
    try:
        f = np.asarray(model.vector_field(t0, y0, p0))
    except Exception as e:
        raise ConfigError(
            f"{_where(path, model)}: the vector field raised {type(e).__name__} at (t0, y0, p0): {e}"
        ) from None
    if f.shape != (model.n_states,):
        raise ConfigError(
            f"{_where(path, model)}: the vector field at (t0, y0, p0) must return shape ({model.n_states},) "
            f"(one value per declared state: {', '.join(model.state_names)}), but returned shape {f.shape}"
        )
    bad = [
        f"{name} = {value}"
        for name, value in zip(model.state_names, f, strict=True)
        if not np.isfinite(value)
    ]
    if bad:
        raise ConfigError(
            f"{_where(path, model)}: the vector field at (t0, y0, p0) must be finite, but returned "
            + ", ".join(bad)
        )
    try:
        jax.make_jaxpr(model.vector_field)(t0, y0, p0)
    except Exception as e:
        raise ConfigError(
            f"{_where(path, model)}: JAX cannot trace the vector field ({type(e).__name__}: "
            f"{str(e).splitlines()[0]}); a Python `if` on a state, parameter or time does not work inside a "
            "solver: write it with np.where"
        ) from None
    reason = casadi_problem(model)
    if reason:
        return [
            f"{_where(path, model)}: {reason}; its CVODES cells will be 'unsupported', JAX runs it as usual"
        ]
    return []


def casadi_problem(model) -> str | None:
    """Why the CasADi backend cannot evaluate ``model`` (None: it can, and agrees with JAX at
    (t0, y0, p0) to 1e-9 relative)."""
    try:
        from ..casadi_backend import vector_field_function

        fn = vector_field_function(model)
        got = np.asarray(fn(model.t0, np.asarray(model.y0), np.asarray(model.p0))).ravel()
    except Exception as e:
        text = str(e).strip().splitlines()
        return f"the CasADi backend cannot evaluate the vector field ({type(e).__name__}: {text[0] if text else ''})"
    want = np.asarray(model.vector_field(model.t0, model.y0, model.p0))
    if got.shape != want.shape or not np.allclose(
        got, want, rtol=1e-9, atol=1e-12 * (1 + np.abs(want).max())
    ):
        return f"the CasADi backend evaluates the vector field differently from JAX ({got} vs {want})"
    return None
