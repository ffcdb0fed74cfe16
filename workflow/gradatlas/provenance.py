"""Which code computed a result: the package's source hash, the git commit and whether the
tree was dirty, package versions, the machine. Light: no jax import."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
VERSIONED = ("gradatlas", "jax", "jaxlib", "diffrax", "equinox")


@functools.cache
def source_hash() -> str:
    """SHA-256 over the gradatlas package's Python files (relative path and content).

    Two results with the same hash were computed by the same library code,
    whatever the git state of the tree around it.
    """
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@functools.cache
def git_state() -> tuple[str, str]:
    """(commit, dirty) of the checkout that holds the package; dirty is "yes" when the
    package has uncommitted changes, "no", or "unknown" outside a git checkout."""

    def git(*args) -> str | None:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5, cwd=PACKAGE)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return "unknown", "unknown"
    status = git("status", "--porcelain", "--untracked-files=normal", "--", ".")
    dirty = "unknown" if status is None else ("yes" if status else "no")
    return commit, dirty


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def attributes(config: dict | None = None, history: str = "") -> dict:
    """Global attributes for a result file."""
    attrs = {}
    for pkg in VERSIONED:
        try:
            attrs[f"version_{pkg}"] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            attrs[f"version_{pkg}"] = "not installed"
    commit, dirty = git_state()
    attrs["git_commit"] = commit
    attrs["git_dirty"] = dirty
    attrs["source_hash"] = source_hash()
    attrs["config_hash"] = config_hash(config or {})
    attrs["machine"] = f"{platform.node()} {platform.machine()} {platform.system()} {platform.release()}"
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    attrs["history"] = f"{now}: {history}".strip()
    attrs["Conventions"] = "CF-1.10"
    return attrs
