"""Enumerated outcomes of a cell, in the spirit of diffrax's ``RESULTS``.

A runtime failure never raises out of a sweep: it comes back as a :class:`Status`
with a message. The scored outcome of a cell is a :class:`Regime`.
"""

from __future__ import annotations

import enum

import diffrax


class Status(enum.StrEnum):
    OK = "ok"
    MAX_STEPS = "max_steps"
    NONFINITE = "nonfinite"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"
    TIMEOUT = "timeout"


class Regime(enum.StrEnum):
    ACCURATE = "accurate"
    DEGRADED = "degraded"
    WRONG = "wrong"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"
    NO_REFERENCE = "no_reference"


class UnsupportedCombination(NotImplementedError):
    """Raised (at trace time) by a method that cannot do a combination.

    The sweep records it as ``status="unsupported"`` with this message.
    """


def _diffrax_messages() -> dict[int, str]:
    # eqxi.Enumeration keeps its messages in declaration order.
    return {
        i: msg.strip().splitlines()[0] if msg.strip() else ""
        for i, msg in enumerate(diffrax.RESULTS._index_to_message)
    }


_MESSAGES = _diffrax_messages()
_SUCCESS = diffrax.RESULTS.successful._value
_MAX_STEPS = diffrax.RESULTS.max_steps_reached._value


def status_from_result(code: int, finite: bool) -> tuple[Status, str]:
    """Map a diffrax result code (an int) and a finiteness flag to a status."""
    code = int(code)
    if code == _MAX_STEPS:
        return Status.MAX_STEPS, _MESSAGES.get(code, "max_steps reached")
    if code != _SUCCESS:
        return Status.FAILED, _MESSAGES.get(code, f"diffrax result code {code}")
    if not finite:
        return Status.NONFINITE, "solve reported success but the loss or gradient is not finite"
    return Status.OK, ""
