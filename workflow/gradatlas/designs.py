"""Observation designs: where and what a loss observes, and where the gradient is taken.

=================  =====================================================  ==============
design             observation times and targets                          gradient at
=================  =====================================================  ==============
nominal_steps      accepted step times of the nominal solve at p0 (same    p0 (truth: 0)
                   solver, tolerance); targets = that solve's step values
uniform            N equally spaced times, interpolated; targets = the     p0 (truth: 0)
                   nominal solve at those times (self-consistent)
uniform_clipped    as ``uniform`` but the solver is forced to step onto    p0 (truth: 0)
                   the times (``ClipStepSizeController(step_ts=...)``)
data_fit           N uniform times; targets = the reference solution at    p_true (1 + δ)
                   p_true = p0; δ drawn once from a fixed seed
final_state        mean of the observed states at t1                       p0
time_average       (1/T) ∫ mean(observed states) dt, as a quadrature state p0
=================  =====================================================  ==============

Trajectory losses are the mean squared residual over valid observations and
observed states. Each design can observe all states or a named subset.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from ._registry import Registry
from .problem import Observation, Problem, SolveInfo, solve_info


def _no_solve() -> SolveInfo:
    # built when traced, not at import: the XLA backend must not start before
    # ``runtime.configure_process`` has set it up
    return SolveInfo(jnp.int32(0), jnp.int64(0), jnp.int64(0))


class AbstractDesign(abc.ABC):
    slug: ClassVar[str]
    #: the correct gradient at the design's point is zero by construction
    zero_gradient: ClassVar[bool] = False
    #: the differentiated solve is forced to step onto the observation times
    clip: ClassVar[bool] = False
    #: the loss is a time average, carried as an extra quadrature state
    quadrature: ClassVar[bool] = False
    #: the loss observes the trajectory at times (else a functional at t1)
    observes_trajectory: ClassVar[bool] = True
    #: targets come from the reference stage (else from the cell's own nominal solve)
    targets_from_reference: ClassVar[bool] = False

    @abc.abstractmethod
    def observation(self, problem: Problem, p0, rtol, data: Observation):
        """Traced: (Observation, SolveInfo of any nominal solve) for one tolerance.

        ``data`` holds the reference stage's times (and targets, for data_fit).
        """

    def point(self, p0: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """The parameter point at which the gradient is taken."""
        return np.asarray(p0)

    def prepare(self, problem: Problem, p0, rtols) -> None:  # noqa: B027 (optional hook)
        """On the host, before the cell's program is traced: fix any array size that
        depends on the tolerances (it must be static in the one compiled program)."""


DESIGNS: Registry[AbstractDesign] = Registry("design")


def _nominal_at(problem: Problem, p0, rtol, ts, clip: bool):
    sol = problem.solve(p0, rtol, diffrax.SaveAt(ts=ts), clip_ts=ts if clip else None)
    targets = jax.lax.stop_gradient(sol.ys[:, problem.observe])
    obs = Observation(ts, targets, jnp.ones_like(ts))
    return obs, solve_info(sol)


class NominalSteps(AbstractDesign):
    """Observe at the nominal solve's accepted steps.

    diffrax saves steps into a buffer of ``max_steps`` entries, padded with inf.
    :meth:`prepare` counts the accepted steps at every tolerance of the cell first,
    and the observation keeps only the first ``problem.n_saved_steps`` entries (the
    largest count among the tolerances whose nominal solve succeeded). Without that,
    every differentiated solve would carry ``max_steps`` observations, most of them
    padding: measured 30x slower for finite differences on stg_liu1998 at rtol 1e-3.
    A tolerance whose nominal solve failed is recorded as failed and not differentiated.
    """

    slug = "nominal_steps"
    zero_gradient = True

    def prepare(self, problem, p0, rtols):
        def count(p0, rtol):
            return tuple(solve_info(problem.solve(p0, rtol, diffrax.SaveAt(t1=True))))

        p0 = jnp.asarray(p0)
        compiled, _, _ = problem.compile(count, (p0, jnp.asarray(rtols[0])), program="count_steps")
        infos = [compiled(p0, jnp.asarray(rt)) for rt in rtols]
        ok = [int(n_steps) for result, n_steps, _ in infos if int(result) == 0]
        problem.n_saved_steps = max(ok, default=1)

    def observation(self, problem, p0, rtol, data):
        sol = problem.solve(p0, rtol, diffrax.SaveAt(steps=True))
        n = problem.n_saved_steps or problem.max_steps
        ts = sol.ts[:n]  # accepted steps first, then inf padding
        mask = jnp.isfinite(ts)
        ts = jnp.where(mask, ts, problem.t1)
        targets = jnp.where(mask[:, None], sol.ys[:n, problem.observe], 0.0)
        obs = Observation(ts, jax.lax.stop_gradient(targets), mask.astype(ts.dtype))
        return obs, solve_info(sol)


class Uniform(AbstractDesign):
    slug = "uniform"
    zero_gradient = True

    def observation(self, problem, p0, rtol, data):
        return _nominal_at(problem, p0, rtol, data.ts, clip=False)


class UniformClipped(AbstractDesign):
    slug = "uniform_clipped"
    zero_gradient = True
    clip = True

    def observation(self, problem, p0, rtol, data):
        return _nominal_at(problem, p0, rtol, data.ts, clip=True)


class DataFit(AbstractDesign):
    slug = "data_fit"
    targets_from_reference = True

    def observation(self, problem, p0, rtol, data):
        return data, _no_solve()

    def point(self, p0, delta):
        return np.asarray(p0) * (1.0 + np.asarray(delta))


class FinalState(AbstractDesign):
    slug = "final_state"
    observes_trajectory = False

    def observation(self, problem, p0, rtol, data):
        return problem.empty_observation(), _no_solve()


class TimeAverage(AbstractDesign):
    slug = "time_average"
    observes_trajectory = False
    quadrature = True

    def observation(self, problem, p0, rtol, data):
        return problem.empty_observation(), _no_solve()


for _cls in (NominalSteps, Uniform, UniformClipped, DataFit, FinalState, TimeAverage):
    DESIGNS.register(_cls.slug, _cls())
