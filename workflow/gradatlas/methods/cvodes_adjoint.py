from ._base import register_method
from ._cvodes import CvodesMethod


class CvodesAdjoint(CvodesMethod):
    """SUNDIALS CVODES adjoint sensitivities, via the reverse mode of the CasADi integrator.

    Step counts recorded are those of the nominal CVODES solve at the same tolerance.
    """

    slug = "cvodes_adjoint"
    description = "CVODES adjoint sensitivities (CasADi reverse mode)"
    tangent_error_control = True
    reverse = True


register_method(CvodesAdjoint())
