"""Process set-up for pipeline jobs, applied before JAX initialises its backend.

* one XLA thread per job, so ``snakemake --cores N`` runs N jobs side by side.
  XLA:CPU has no thread-count option: it sizes its thread pools from the CPUs the
  process may run on when the backend starts. So the backend is started with an
  affinity of one CPU, and the process then gets all its CPUs back: one worker
  thread, which the OS may schedule on any CPU (measured: a large elementwise op
  went from 2 threads, 3.6 s CPU for 1.9 s wall, to 1.3 s CPU = wall);
* ``EQX_ON_ERROR=nan`` so the JAX persistent compilation cache can store diffrax
  programs (equinox's host callbacks otherwise make them uncacheable). Failures
  then come back as NaN, and the cell runner always reads ``sol.result``.
  equinox reads this variable when it is imported, so the rules set it in the
  job's environment (``EQX_ON_ERROR=nan python -m gradatlas_launch ...``); without it
  the cache is left off;
* the persistent compilation cache in ``$GRADATLAS_JAX_CACHE`` (default
  ``.cache/jax`` under the working directory; empty string disables it), and
  beside it, in ``traces/``, the cache of traced programs
  (:mod:`gradatlas.trace_cache`), which spares a rerun the Python trace, and in
  ``petab/`` the PEtab problems as read, checked and turned into code
  (:func:`gradatlas.petab_problem.load_petab_code`).
"""

from __future__ import annotations

import os

DEFAULT_CACHE = ".cache/jax"


def cache_dir() -> str | None:
    """The cache folder (``$GRADATLAS_JAX_CACHE``, default ``.cache/jax``, absolute), or None
    when the variable is set empty."""
    cache = os.environ.get("GRADATLAS_JAX_CACHE", DEFAULT_CACHE)
    return os.path.abspath(cache) if cache else None


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write a cache entry so that a concurrent reader sees all of it or none: into a
    temporary file beside it, then renamed over it (the folders are made as needed)."""
    folder, name = os.path.split(os.fspath(path))
    os.makedirs(folder or ".", exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def prefer_package_dir(directory: str) -> None:
    """Put ``directory`` (the checkout's ``workflow/`` folder) first on this process's
    ``PYTHONPATH``, which every job inherits: jobs then import this checkout's gradatlas,
    whatever other copy is installed (a ``PYTHONPATH`` entry precedes site-packages)."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != directory]
    os.environ["PYTHONPATH"] = os.pathsep.join([directory, *rest])


def configure_process() -> None:
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        flags += " --xla_cpu_multi_thread_eigen=false"
    os.environ["XLA_FLAGS"] = flags.strip()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import jax

    _start_single_threaded(jax)

    cache = cache_dir()
    if cache and os.environ.get("EQX_ON_ERROR") != "nan":
        print("note: EQX_ON_ERROR is not 'nan': JAX compilation cache left off", flush=True)
    elif cache:
        from . import trace_cache

        trace_cache.enable(os.path.join(cache, "traces"))
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _start_single_threaded(jax) -> None:
    """Start the XLA backend while this process may use one CPU only, then give every
    thread (XLA's workers too: they inherit the one-CPU mask) all CPUs back."""
    if not hasattr(os, "sched_getaffinity"):  # not Linux: the XLA flag above is all we have
        jax.devices()
        return
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        jax.devices()
    finally:
        for tid in _threads():
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:  # a thread that has exited meanwhile
                pass


def _threads() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return [0]
