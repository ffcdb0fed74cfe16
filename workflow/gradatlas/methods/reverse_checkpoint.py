import diffrax
import jax

from ._base import AbstractMethod, MethodOutput, register_method


class ReverseCheckpoint(AbstractMethod):
    """``jax.grad`` with ``RecursiveCheckpointAdjoint``: discretise-then-optimise.

    The exact derivative of the computed (primal-stepped) solution.
    """

    slug = "reverse_checkpoint"
    description = "reverse mode through the solver, recursive checkpointing"

    def value_and_grad(self, problem, p, rtol, obs):
        def f(q):
            return problem.solve_loss(q, rtol, obs, adjoint=diffrax.RecursiveCheckpointAdjoint())

        (loss, info), grad = jax.value_and_grad(f, has_aux=True)(p)
        return MethodOutput(loss, grad, info)


register_method(ReverseCheckpoint())
