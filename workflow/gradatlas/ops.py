"""Elementwise maths namespaces through which every vector field is written once.

A model's ``rhs(t, y, p, np)`` uses only ``np.exp``, ``np.log``, ``np.sqrt``,
``np.abs``, the trigonometric and hyperbolic functions (``sin``, ``cos``, ``tan``,
``sinh``, ``cosh``, ``tanh``), ``np.where``, ``np.minimum``, ``np.maximum``,
``np.logical_and``/``or``/``not``, ``np.stack`` and ``np.concatenate``, plus Python
arithmetic, comparisons and powers. ``JAX_OPS`` evaluates it with
``jax.numpy``; a second backend (CasADi for the CVODES cross-check) only has to
provide the same names.

The helpers below keep vector fields finite *off* the trajectory (in rejected
trial stages of an adaptive solver) without changing them on it.
"""

from __future__ import annotations

from types import SimpleNamespace

import jax.numpy as jnp

JAX_OPS = SimpleNamespace(
    exp=jnp.exp,
    log=jnp.log,
    sqrt=jnp.sqrt,
    abs=jnp.abs,
    sin=jnp.sin,
    cos=jnp.cos,
    tan=jnp.tan,
    sinh=jnp.sinh,
    cosh=jnp.cosh,
    tanh=jnp.tanh,
    where=jnp.where,
    minimum=jnp.minimum,
    maximum=jnp.maximum,
    logical_and=jnp.logical_and,
    logical_or=jnp.logical_or,
    logical_not=jnp.logical_not,
    stack=jnp.stack,
    concatenate=jnp.concatenate,
)

#: exp(EXP_CAP) ~ 5e21. Arguments of the rate functions in the zoo stay below
#: ~25 on every accepted trajectory, so the cap only acts in wild trial stages.
EXP_CAP = 50.0


def bounded_exp(np, x):
    """``exp(x)`` with the argument capped at ``EXP_CAP`` (finite for any finite x)."""
    return np.exp(np.minimum(x, EXP_CAP))


def boltzmann(np, v, half, slope):
    """``1 / (1 + exp((v + half) / slope))``, finite for every finite ``v``."""
    return 1.0 / (1.0 + bounded_exp(np, (v + half) / slope))


def u_over_expm1(np, u):
    """``u / (exp(u) - 1)``, with its removable singularity at ``u = 0`` filled in.

    Both branches of ``where`` are finite (the double-where trick), so gradients
    through it are finite too.
    """
    small = np.abs(u) < 1e-6
    u_safe = np.where(small, 1.0, u)
    return np.where(small, 1.0 - 0.5 * u, u_safe / (bounded_exp(np, u_safe) - 1.0))
