"""One (model, design, observed states, solver): the ODE system, its solves and its loss.

Everything here is traced inside the one compiled program of a cell; nothing
here is timed or stored.
"""

from __future__ import annotations

from typing import NamedTuple

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from . import trace_cache
from .models import AbstractModel
from .ops import JAX_OPS
from .solvers import SOLVERS

#: offsets, as fractions of the time span, at which ``Problem.nonfinite_probe`` evaluates the field
PROBE_STEPS = (0.0, 1e-12, 1e-9, 1e-6)


class Observation(NamedTuple):
    """Observation times, targets for the observed states, and a validity mask.

    Padded entries (``mask == 0``) sit at t1 and do not enter the loss.
    """

    ts: jax.Array  # (N,)
    targets: jax.Array  # (N, n_obs)
    mask: jax.Array  # (N,)


class SolveInfo(NamedTuple):
    """diffrax result code (0 = success) and step counts of the solve(s) behind a value."""

    result: jax.Array
    n_steps: jax.Array
    n_rejected: jax.Array


def solve_info(sol: diffrax.Solution) -> SolveInfo:
    return SolveInfo(
        jnp.asarray(sol.result._value, jnp.int32),
        jnp.asarray(sol.stats["num_accepted_steps"], jnp.int64),
        jnp.asarray(sol.stats["num_rejected_steps"], jnp.int64),
    )


class Problem:
    """The ODE system a cell differentiates, with the design's loss.

    The state is the model state, plus one quadrature state q with
    dq/dt = mean(observed states) when the design asks for a time average.
    """

    def __init__(
        self,
        model: AbstractModel,
        design,
        solver: str,
        observe=None,
        *,
        max_steps: int,
        t1: float | None = None,
        force_clip: bool = False,
        atol_scale: float | None = None,
    ):
        self.model = model
        self.design = design
        self.solver_slug = solver
        self.solver = SOLVERS[solver].make()
        self.observe = model.state_indices(observe)
        self.max_steps = int(max_steps)
        self.t0 = float(model.t0)
        self.t1 = float(model.t1 if t1 is None else t1)
        # what the traced code takes from the design (its form); nothing traced reads the design
        # itself, so designs of one form share their programs through the trace cache
        self.observes_trajectory = bool(design.observes_trajectory)
        self.model_objective = bool(design.model_objective)
        self.quadrature = bool(design.quadrature)
        self.clip = bool(design.clip or force_clip)
        self.n_states = model.n_states + (1 if self.quadrature else 0)
        self.atol_scale = float(model.atol_scale if atol_scale is None else atol_scale)
        self.jump_ts = tuple(float(t) for t in model.jump_times)

    def describe(self) -> dict:
        """What a traced program of this problem depends on besides its arguments and the source.

        The design enters through its form alone (what is saved, clipping, the quadrature state,
        the model's own objective): the data_fit and uniform cells of one (model, solver, method)
        trace the same program, and so do petab_fit and petab_start. A program that runs a
        design's own code (its nominal observation) names the design itself.
        """
        return {
            "model": self.model.slug,
            "parameters": self.model.param_names,
            "solver": self.solver_slug,
            "observes_trajectory": self.observes_trajectory,
            "model_objective": self.model_objective,
            "quadrature": self.quadrature,
            "observe": list(self.observe),
            "max_steps": self.max_steps,
            "t0": self.t0,
            "t1": self.t1,
            "clip": self.clip,
            "atol_scale": self.atol_scale,
            "jump_ts": list(self.jump_ts),
        }

    def compile(self, fn, args: tuple, parts: tuple = (), **description):
        """``trace_cache.compile_program`` for a program of this problem: (compiled, trace_s, total_s).

        ``parts``: other objects whose code the program traces (a method); their modules'
        source enters the cache key when they live outside the package (a user's file).
        """
        modules = tuple(type(x).__module__ for x in (self.model, *parts))
        return trace_cache.compile_program(fn, args, {**self.describe(), **description}, modules)

    # ---- the ODE ----
    def rhs(self, t, y, p):
        n = self.model.n_states
        dy = self.model.vector_field(t, y[:n], p)
        if self.quadrature:
            dq = jnp.mean(y[jnp.asarray(self.observe)])[None]
            dy = jnp.concatenate([dy, dq])
        return dy

    def y0(self, p):
        """The initial state (of the model, then the quadrature) at parameters ``p``."""
        y0 = jnp.asarray(self.model.initial(p, JAX_OPS), dtype=jnp.float64)
        if self.quadrature:
            y0 = jnp.concatenate([y0, jnp.zeros(1)])
        return y0

    def controller(self, rtol, clip_ts=None):
        """PID control with atol = rtol x atol_scale; stepping onto ``clip_ts`` and across the
        model's jump times when there are any."""
        pid = diffrax.PIDController(rtol=rtol, atol=rtol * self.atol_scale)
        if clip_ts is None and not self.jump_ts:
            return pid
        jump_ts = jnp.asarray(self.jump_ts, dtype=jnp.float64) if self.jump_ts else None
        return diffrax.ClipStepSizeController(pid, step_ts=clip_ts, jump_ts=jump_ts)

    def solve(self, p, rtol, saveat, *, adjoint=None, clip_ts=None, rhs=None, y0=None):
        """One adaptive solve; never raises on a numerical failure (read ``.result``)."""
        return diffrax.diffeqsolve(
            diffrax.ODETerm(self.rhs if rhs is None else rhs),
            self.solver,
            self.t0,
            self.t1,
            None,
            self.y0(p) if y0 is None else y0,
            p,
            saveat=saveat,
            stepsize_controller=self.controller(rtol, clip_ts),
            adjoint=diffrax.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
            max_steps=self.max_steps,
            throw=False,
        )

    def nonfinite_probe(self, p, rtol) -> str | None:
        """After a failed solve at ``(p, rtol)``: does the vector field go non-finite where the
        nominal solve stops?

        A NaN in a trial stage makes diffrax reject the step (its error estimate becomes inf);
        the step size then shrinks until the solve runs out of steps, and the failure reads
        like a step budget that is too small. This re-solves the nominal problem to where it
        stops and evaluates the vector field just after that time and along short explicit
        Euler steps from that state. Returns a message if any value is NaN or inf, else None.
        """

        def probe(p, rtol):
            sol = self.solve(p, rtol, diffrax.SaveAt(t1=True))
            t, y = sol.ts[-1], sol.ys[-1]
            f0 = self.rhs(t, y, p)
            steps = jnp.asarray(PROBE_STEPS) * (self.t1 - self.t0)
            fs = jax.vmap(lambda h: self.rhs(t + h, y + h * f0, p))(steps)
            return t, y, jnp.all(jnp.isfinite(fs), axis=1), sol.result._value

        args = (jnp.asarray(p), jnp.asarray(rtol))
        compiled = self.compile(probe, args, program="nonfinite_probe")[0]
        t, y, finite, result = (np.asarray(x) for x in compiled(*args))
        if int(result) == 0 or bool(np.all(finite)):
            return None
        names = self.model.state_names + (["time average"] if self.quadrature else [])
        state = ", ".join(f"{n}={v:.4g}" for n, v in zip(names, y, strict=True))
        return (
            f"the vector field returns NaN or inf just after t = {float(t):.6g} (state {state}): the solver "
            "rejected every step from there on. Keep the vector field finite off the trajectory "
            "(gradatlas.ops has capped exponentials and guarded logarithms)"
        )

    # ---- what the differentiated solve saves, and the loss on it ----
    def saveat(self, obs: Observation) -> diffrax.SaveAt:
        if self.observes_trajectory:
            return diffrax.SaveAt(ts=obs.ts)
        return diffrax.SaveAt(t1=True)

    def clip_ts(self, obs: Observation):
        return obs.ts if self.clip else None

    def loss(self, ys, obs: Observation, p):
        """The design's scalar loss from the saved states ``ys`` (N, n_states) at parameters ``p``."""
        if self.model_objective:  # a PEtab problem: its objective at the measurement times
            return self.model.objective(lambda j: ys[j], p, JAX_OPS)
        if self.observes_trajectory:
            r = ys[:, self.observe] - obs.targets
            w = obs.mask / (jnp.sum(obs.mask) * len(self.observe))
            return jnp.sum(w[:, None] * r**2)
        if self.quadrature:
            return ys[-1, -1] / (self.t1 - self.t0)
        return jnp.mean(ys[-1, self.observe])

    def solve_loss(self, p, rtol, obs: Observation, adjoint=None):
        """(loss, SolveInfo) of the design's differentiated solve at ``p``."""
        sol = self.solve(p, rtol, self.saveat(obs), adjoint=adjoint, clip_ts=self.clip_ts(obs))
        return self.loss(sol.ys, obs, p), solve_info(sol)

    # ---- helpers for designs ----
    def uniform_times(self, n: int) -> np.ndarray:
        return np.linspace(self.t0, self.t1, int(n) + 1)[1:]

    def empty_observation(self) -> Observation:
        return Observation(jnp.full((1,), self.t1), jnp.zeros((1, len(self.observe))), jnp.zeros(1))
