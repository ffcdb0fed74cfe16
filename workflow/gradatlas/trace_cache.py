"""A cache of traced programs, beside JAX's persistent compilation cache.

JAX's compilation cache skips XLA compilation on a rerun, but its key is the
traced program itself, so every job still traces its program in Python first:
for a cell that is about 1 s of diffrax's solver loops, a third of a warm job.
This cache stores the traced and lowered program (StableHLO, serialized with
:mod:`jax.export`) under a key made of everything the trace depends on:

* the source of the gradatlas package and of any model or method file loaded
  from outside it,
* the versions of jax, jaxlib, diffrax, equinox, optimistix and lineax,
* ``EQX_ON_ERROR`` and ``jax_enable_x64``,
* the caller's description of the program (model, solver, the design's form,
  method, observed states, max_steps, ...) and the shapes and dtypes of its
  arguments. A design enters by its form (``Problem.describe``), so designs that
  trace the same program (data_fit and uniform; petab_fit and petab_start) share
  one entry: the second cell of a pair loads the program and compiles from the
  XLA cache.

A hit skips the trace; compiling the stored program then hits the XLA cache.
Programs always go through the stored form while the cache is on (cold run
included), so a cold and a warm run compile the same program. The cache is on
exactly when the JAX compilation cache is (see :mod:`gradatlas.runtime`); it
lives in ``<cache>/traces``. An unreadable entry is a miss and is rewritten; a
program that cannot be exported (host callbacks, when ``EQX_ON_ERROR`` is not
``nan``) is traced and compiled directly, as without the cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from importlib import metadata
from pathlib import Path

import jax

from . import provenance
from .runtime import write_atomically

_DIR: Path | None = None
_PACKAGES = ("jax", "jaxlib", "diffrax", "equinox", "optimistix", "lineax")


def enable(directory: str | os.PathLike | None) -> None:
    """Store traced programs under ``directory`` (None: off)."""
    global _DIR
    _DIR = None if directory is None else Path(directory)


@functools.cache
def _environment_hash() -> str:
    h = hashlib.sha256(provenance.source_hash().encode())
    for name in _PACKAGES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    h.update(f"EQX_ON_ERROR={os.environ.get('EQX_ON_ERROR')}".encode())
    h.update(f"x64={jax.config.jax_enable_x64}".encode())
    return h.hexdigest()


def _source_hash(module_name: str) -> str:
    """Hash of a module's file when it lives outside the package (a user's model file)."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    package = Path(__file__).resolve().parent
    if path is None or Path(path).resolve().is_relative_to(package):
        return ""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def key(description: dict, args: tuple, modules: tuple[str, ...] = ()) -> str:
    spec = [(tuple(a.shape), str(a.dtype)) for a in jax.tree_util.tree_leaves(args)]
    text = json.dumps(
        {
            "environment": _environment_hash(),
            "modules": [_source_hash(m) for m in modules],
            "program": description,
            "arguments": spec,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _load(path: Path):
    try:
        return jax.export.deserialize(bytearray(path.read_bytes()))
    except Exception:  # missing, truncated or from an incompatible jax: a miss
        return None


def _export_and_store(fn, args: tuple, path: Path):
    try:
        exported = jax.export.export(jax.jit(fn))(*args)
    except NotImplementedError:  # an unsupported combination is the caller's to record
        raise
    except Exception:  # e.g. host callbacks: compile directly
        return None
    try:
        write_atomically(path, exported.serialize())
    except Exception as e:  # a read-only or full disk costs a trace next time, no more
        print(f"note: trace cache not written ({type(e).__name__}: {e})", file=sys.stderr)
    return exported


def compile_program(fn, args: tuple, description: dict, modules: tuple[str, ...] = ()):
    """Trace (or load), lower and compile ``fn(*args)``.

    ``fn`` takes and returns flat tuples of arrays. Returns ``(compiled, trace_s,
    total_s)``: the seconds spent tracing and lowering (or loading), and in all.
    """
    t_start = time.perf_counter()
    exported = None
    if _DIR is not None:
        path = _DIR / f"{key(description, args, modules)}.jaxexport"
        exported = _load(path)
        if exported is None:
            exported = _export_and_store(fn, args, path)
    lowered = jax.jit(fn if exported is None else exported.call).lower(*args)
    t_lowered = time.perf_counter()
    compiled = lowered.compile()
    t_end = time.perf_counter()
    return compiled, t_lowered - t_start, t_end - t_start
