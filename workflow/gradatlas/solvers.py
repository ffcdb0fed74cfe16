"""Registry of diffrax solvers, all used with an adaptive PID step-size controller.

Each tolerance of a sweep is an rtol; atol = rtol x the model's ``atol_scale``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import diffrax

from ._registry import Registry


@dataclass(frozen=True)
class SolverSpec:
    slug: str
    make: Callable[[], diffrax.AbstractSolver]
    implicit: bool
    order: int


SOLVERS: Registry[SolverSpec] = Registry("solver")

for _spec in (
    SolverSpec("tsit5", diffrax.Tsit5, implicit=False, order=5),
    SolverSpec("dopri5", diffrax.Dopri5, implicit=False, order=5),
    SolverSpec("dopri8", diffrax.Dopri8, implicit=False, order=8),
    SolverSpec("bosh3", diffrax.Bosh3, implicit=False, order=3),
    SolverSpec("heun", diffrax.Heun, implicit=False, order=2),
    SolverSpec("kvaerno3", diffrax.Kvaerno3, implicit=True, order=3),
    SolverSpec("kvaerno5", diffrax.Kvaerno5, implicit=True, order=5),
    SolverSpec("implicit_euler", diffrax.ImplicitEuler, implicit=True, order=1),
):
    SOLVERS.register(_spec.slug, _spec)
