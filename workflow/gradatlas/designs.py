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
petab_fit          a PEtab problem's measurement times; its negative       p0 (the published
                   log-likelihood (the model's ``objective``)              best fit)
petab_start        the same objective                                      p0 moved by δ on
                                                                           the parameter scale
=================  =====================================================  ==============

Trajectory losses are the mean squared residual over valid observations and
observed states. Each design can observe all states or a named subset. The two
PEtab designs need a model with an objective of its own (a PEtab problem).
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
    # built when called, not at import: the XLA backend must not start before
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
    #: the observation comes from a nominal solve at p0 with the cell's solver and tolerance
    nominal_solve: ClassVar[bool] = False
    #: the loss is the model's own objective at its measurement times (a PEtab problem)
    model_objective: ClassVar[bool] = False
    #: scored against the local gradient scale (||g - g_ref|| / scale) rather than by relative
    #: error: the designs whose correct gradient is zero or near zero
    against_scale: ClassVar[bool] = False

    @abc.abstractmethod
    def observation(self, problem: Problem, p0, rtol, data: Observation):
        """Traceable: (Observation, SolveInfo of the nominal solve, if any) for one tolerance.

        ``data`` holds the reference stage's times (and targets, for data_fit).
        """

    def point(self, model, p0: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """The parameter point at which the gradient is taken."""
        return np.asarray(p0)

    def scale_point(self, point: np.ndarray) -> np.ndarray:
        """Where the local gradient scale is taken (designs scored against it): 1e-3 off ``point``."""
        return np.asarray(point) * (1.0 + SCALE_STEP)

    def times(self, problem: Problem, n_obs: int) -> np.ndarray:
        """The observation times the reference hands to cells: ``n_obs`` uniform times, or t1."""
        return problem.uniform_times(n_obs) if self.observes_trajectory else np.array([problem.t1])

    def check(self, model) -> None:
        """Raise ValueError if the design cannot run on ``model``."""
        if self.model_objective and model.objective is None:
            raise ValueError(
                f"design {self.slug!r} needs a PEtab problem; model {model.slug!r} has no objective"
            )

    def observations(self, problem: Problem, p0, rtols, data: Observation) -> list:
        """On the host, before a cell's program: [(Observation, SolveInfo)] per tolerance.

        A design with a nominal solve runs it here, in a program of its own. That program
        does not depend on the differentiation method, so the cells of all methods of one
        (model, solver, design) share it through the trace and compilation caches, and a
        cell's timed calls and step counts are the differentiated solve's alone.
        """
        if not self.nominal_solve:
            return [self.observation(problem, p0, rtols[0], data)] * len(rtols)

        def observe(p0, rtol, ts, targets, mask):
            obs, info = self.observation(problem, p0, rtol, Observation(ts, targets, mask))
            return (*obs, *info)

        p0 = jnp.asarray(p0)
        args = (p0, jnp.asarray(rtols[0]), *data)
        compiled = problem.compile(observe, args, program="nominal_observation", design=self.slug)[0]
        out = [compiled(p0, jnp.asarray(rtol), *data) for rtol in rtols]
        return [(Observation(*o[:3]), SolveInfo(*o[3:])) for o in out]


DESIGNS: Registry[AbstractDesign] = Registry("design")


def _nominal_at(problem: Problem, p0, rtol, ts, clip: bool):
    sol = problem.solve(p0, rtol, diffrax.SaveAt(ts=ts), clip_ts=ts if clip else None)
    targets = jax.lax.stop_gradient(sol.ys[:, problem.observe])
    obs = Observation(ts, targets, jnp.ones_like(ts))
    return obs, solve_info(sol)


#: the relative step to the point where a local gradient scale is taken
SCALE_STEP = 1e-3


class NominalSteps(AbstractDesign):
    """Observe at the nominal solve's accepted steps.

    diffrax saves steps into a buffer of ``max_steps`` entries, padded with inf.
    :meth:`observations` keeps only the first n entries at every tolerance, n being
    the largest accepted-step count among the tolerances whose nominal solve
    succeeded (shapes must agree: all tolerances run through one compiled program).
    Without that, every differentiated solve would carry ``max_steps`` observations,
    most of them padding: measured 30x slower for finite differences on stg_liu1998
    at rtol 1e-3. A tolerance whose nominal solve failed is recorded as failed and
    not differentiated.
    """

    slug = "nominal_steps"
    zero_gradient = True
    against_scale = True
    nominal_solve = True

    def observation(self, problem, p0, rtol, data):
        sol = problem.solve(p0, rtol, diffrax.SaveAt(steps=True))
        mask = jnp.isfinite(sol.ts)  # accepted steps first, then inf padding
        ts = jnp.where(mask, sol.ts, problem.t1)
        targets = jnp.where(mask[:, None], sol.ys[:, problem.observe], 0.0)
        obs = Observation(ts, jax.lax.stop_gradient(targets), mask.astype(ts.dtype))
        return obs, solve_info(sol)

    def observations(self, problem, p0, rtols, data):
        padded = super().observations(problem, p0, rtols, data)
        n = max((int(info.n_steps) for _, info in padded if int(info.result) == 0), default=1)
        return [(Observation(*(np.asarray(x)[:n] for x in obs)), info) for obs, info in padded]


class Uniform(AbstractDesign):
    slug = "uniform"
    zero_gradient = True
    against_scale = True
    nominal_solve = True

    def observation(self, problem, p0, rtol, data):
        return _nominal_at(problem, p0, rtol, data.ts, clip=False)


class UniformClipped(AbstractDesign):
    slug = "uniform_clipped"
    zero_gradient = True
    against_scale = True
    clip = True
    nominal_solve = True

    def observation(self, problem, p0, rtol, data):
        return _nominal_at(problem, p0, rtol, data.ts, clip=True)


class DataFit(AbstractDesign):
    slug = "data_fit"
    targets_from_reference = True

    def observation(self, problem, p0, rtol, data):
        return data, _no_solve()

    def point(self, model, p0, delta):
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


class PetabFit(AbstractDesign):
    """A PEtab problem's objective at its nominal parameters (for the Benchmark-Models-PEtab problems
    the published best fit, where the true gradient is near zero): scored against the local gradient
    scale, taken 1e-3 off the point on the parameter scale (absolute where a value is near 0)."""

    slug = "petab_fit"
    model_objective = True
    against_scale = True

    def observation(self, problem, p0, rtol, data):
        return data, _no_solve()

    def scale_point(self, point):
        point = np.asarray(point)
        return point + SCALE_STEP * np.maximum(np.abs(point), 1.0)

    def times(self, problem, n_obs):
        return np.asarray(problem.model.measurement_times, dtype=float)


class PetabStart(PetabFit):
    """The same objective at a start point: the nominal one moved by the seeded perturbation δ on
    the parameter scale (``model.start_point``); scored by relative error, like data_fit."""

    slug = "petab_start"
    against_scale = False

    def point(self, model, p0, delta):
        return model.start_point(np.asarray(delta))


for _cls in (NominalSteps, Uniform, UniformClipped, DataFit, FinalState, TimeAverage, PetabFit, PetabStart):
    DESIGNS.register(_cls.slug, _cls())
