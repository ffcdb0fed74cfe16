"""Process set-up for pipeline jobs, applied before JAX initialises its backend.

* one XLA thread per job, so ``snakemake --cores N`` runs N jobs side by side;
* ``EQX_ON_ERROR=nan`` so the JAX persistent compilation cache can store diffrax
  programs (equinox's host callbacks otherwise make them uncacheable). Failures
  then come back as NaN, and the cell runner always reads ``sol.result``.
  equinox reads this variable when it is imported, so the rules set it in the
  job's environment (``EQX_ON_ERROR=nan python -m gradatlas ...``); without it
  the cache is left off;
* the persistent compilation cache in ``$GRADATLAS_JAX_CACHE`` (default
  ``.cache/jax`` under the working directory; empty string disables it).
"""

from __future__ import annotations

import os

DEFAULT_CACHE = ".cache/jax"


def configure_process() -> None:
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = flags.strip()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import jax

    cache = os.environ.get("GRADATLAS_JAX_CACHE", DEFAULT_CACHE)
    if cache and os.environ.get("EQX_ON_ERROR") != "nan":
        print("note: EQX_ON_ERROR is not 'nan': JAX compilation cache left off", flush=True)
    elif cache:
        jax.config.update("jax_compilation_cache_dir", os.path.abspath(cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
