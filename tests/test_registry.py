import pytest

import gradatlas as ga
from gradatlas._registry import Registry


def test_duplicate_slug_is_an_error():
    reg = Registry("widget")
    reg.register("a", 1)
    with pytest.raises(ValueError, match="duplicate widget slug 'a'"):
        reg.register("a", 2)


def test_unknown_slug_lists_valid_ones():
    with pytest.raises(ga.UnknownSlugError) as info:
        ga.MODELS["lorenz96"]
    msg = str(info.value)
    assert "unknown model 'lorenz96'" in msg
    for slug in ("lorenz63", "stg_liu1998", "robertson"):
        assert slug in msg


@pytest.mark.parametrize("slug", ["Bad", "1x", "a-b", ""])
def test_malformed_slug_rejected(slug):
    with pytest.raises(ValueError, match="lowercase"):
        Registry("widget").register(slug, 0)


def test_registries_have_the_issue_parts():
    assert len(ga.MODELS) >= 11
    assert set(ga.SOLVERS) >= {
        "tsit5",
        "dopri5",
        "dopri8",
        "bosh3",
        "heun",
        "kvaerno3",
        "kvaerno5",
        "implicit_euler",
    }
    assert set(ga.DESIGNS) == {
        "nominal_steps",
        "uniform",
        "uniform_clipped",
        "data_fit",
        "final_state",
        "time_average",
        "petab_fit",
        "petab_start",
    }
    assert set(ga.METHODS) >= {
        "forward_jvp",
        "forward_sensitivity",
        "reverse_checkpoint",
        "backsolve_adjoint",
        "finite_difference",
    }
