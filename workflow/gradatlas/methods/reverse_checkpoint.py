import diffrax

from ._base import AbstractMethod, register_method, reverse_mode


class ReverseCheckpoint(AbstractMethod):
    """``jax.grad`` with ``RecursiveCheckpointAdjoint``: discretise-then-optimise.

    The exact derivative of the computed (primal-stepped) solution.
    """

    slug = "reverse_checkpoint"
    description = "reverse mode through the solver, recursive checkpointing"
    tangent_error_control = False

    def value_and_grad(self, problem, p, rtol, obs):
        return reverse_mode(problem, p, rtol, obs, diffrax.RecursiveCheckpointAdjoint())


register_method(ReverseCheckpoint())
