from ._base import register_method
from ._cvodes import CvodesMethod


class CvodesForward(CvodesMethod):
    """SUNDIALS CVODES forward sensitivities (through CasADi), error-controlled.

    The independent peer of ``forward_sensitivity``: states and sensitivities under
    CVODES's error control, BDF with variable order. Step counts recorded are those
    of the nominal CVODES solve at the same tolerance (CasADi does not expose the
    sensitivity run's counters).
    """

    slug = "cvodes_forward"
    description = "CVODES forward sensitivities (CasADi), error-controlled"
    tangent_error_control = True
    reverse = False


register_method(CvodesForward())
