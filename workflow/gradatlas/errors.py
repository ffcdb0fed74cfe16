"""Exceptions the command line turns into one-line messages (light: no heavy imports)."""

from __future__ import annotations


class CorruptFile(OSError):
    """An input file that cannot be read; it has been removed so that a rerun recomputes it."""
