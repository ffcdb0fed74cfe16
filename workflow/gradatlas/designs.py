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

_NO_SOLVE = SolveInfo(jnp.int32(0), jnp.int64(0), jnp.int64(0))


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


DESIGNS: Registry[AbstractDesign] = Registry("design")


def _nominal_at(problem: Problem, p0, rtol, ts, clip: bool):
    sol = problem.solve(p0, rtol, diffrax.SaveAt(ts=ts), clip_ts=ts if clip else None)
    targets = jax.lax.stop_gradient(sol.ys[:, problem.observe])
    obs = Observation(ts, targets, jnp.ones_like(ts))
    return obs, solve_info(sol)


class NominalSteps(AbstractDesign):
    slug = "nominal_steps"
    zero_gradient = True

    def observation(self, problem, p0, rtol, data):
        sol = problem.solve(p0, rtol, diffrax.SaveAt(steps=True))
        ts = sol.ts  # (max_steps,), padded with inf after the last accepted step
        mask = jnp.isfinite(ts)
        ts = jnp.where(mask, ts, problem.t1)
        targets = jnp.where(mask[:, None], sol.ys[:, problem.observe], 0.0)
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
        return data, _NO_SOLVE

    def point(self, p0, delta):
        return np.asarray(p0) * (1.0 + np.asarray(delta))


class FinalState(AbstractDesign):
    slug = "final_state"
    observes_trajectory = False

    def observation(self, problem, p0, rtol, data):
        return problem.empty_observation(), _NO_SOLVE


class TimeAverage(AbstractDesign):
    slug = "time_average"
    observes_trajectory = False
    quadrature = True

    def observation(self, problem, p0, rtol, data):
        return problem.empty_observation(), _NO_SOLVE


for _cls in (NominalSteps, Uniform, UniformClipped, DataFit, FinalState, TimeAverage):
    DESIGNS.register(_cls.slug, _cls())
