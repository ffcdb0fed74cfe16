"""Start ``gradatlas`` commands without paying for the imports: fork them from a warm process.

``python -m gradatlas_launch ARGS`` runs exactly ``python -m gradatlas ARGS``. A fresh
process spends ~1.5 s starting Python and importing jax, diffrax, xarray and gradatlas;
over the ~540 jobs of the paper grid that is a fifth of all CPU time. So the launcher
hands the command to a *fork server*, a process that has done those imports once, and
the server forks one worker per command. The worker is still a process of its own (one
job, one process, one XLA thread): it takes the launcher's environment, working
directory, umask and stdin/stdout/stderr (passed over the socket), then runs
``gradatlas.cli.main``. XLA's backend starts in the worker, never in the server.

The launcher imports only the standard library. It falls back to exec-ing
``python -m gradatlas ARGS`` (the same command, started the slow way) whenever the
server cannot be used: ``GRADATLAS_FORKSERVER=0``, no ``fork`` or Unix sequenced-packet
sockets (non-Linux), a server that does not come up, or a server whose gradatlas
source files changed since it imported them.

One server per (Python executable, working directory, environment read at import
time: ``EQX_*``, ``JAX_*``, ``XLA_*``, ``PYTHON*``, ``GRADATLAS_*``, and a batch job's
id ``SLURM_JOB_ID``/``PBS_JOBID``/``LSB_JOBID``), so a server never serves a job
whose settings it did not import under, and on a cluster each batch job has its own,
inside that job's limits. It listens on a Unix socket in a private (0700) folder and
exits after ``IDLE_S`` seconds without work.

Signals: the launcher forwards SIGINT, SIGTERM and SIGHUP to its worker and exits
with the worker's status (128 + N after signal N). A worker whose launcher is gone
(killed) sees the socket close and exits at once.

Accounting: the worker is the server's child, not the launcher's. Snakemake's
``benchmark:`` files therefore measure a job's wall time correctly but not its CPU
time or memory; the worker writes its own to the job's log as its last line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sys

IDLE_S = 30.0
#: imported by the server before it forks: everything the pipeline's commands need (sympy with the
#: SBML and PEtab modules; petab itself only when a problem is not in the cache of
#: gradatlas.petab_problem.load_petab_code, which the Snakefile's config check fills).
#: scipy.linalg is what jax imports on the first call of a stored (jax.export) program, 0.2-0.4 s
#: in every job; h5netcdf writes the result files; gradatlas.plots is matplotlib and seaborn
#: (1.7 s), for the figure jobs.
PRELOAD = (
    "gradatlas",
    "gradatlas.cli",
    "gradatlas.io",
    "gradatlas.casadi_backend",
    "gradatlas.sbml",
    "gradatlas.petab_problem",
    "scipy.linalg",
    "h5netcdf",
    "gradatlas.plots",
)
_KEY_PREFIXES = ("EQX_", "JAX_", "XLA_", "PYTHON", "GRADATLAS_")
_KEY_NAMES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID")
_MAX_MESSAGE = 1 << 20


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--serve"] and len(argv) == 2:
        from ._server import serve

        serve(argv[1])
        return
    if argv == ["--prestart"]:
        sys.exit(0 if ensure_server() else 1)
    code = run_via_server(argv)
    if code is None:
        exec_direct(argv)
    sys.exit(code)


def exec_direct(argv: list[str]) -> None:
    """Replace this process with ``python -m gradatlas ARGV``."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "gradatlas", *argv])


def enabled() -> bool:
    if os.environ.get("GRADATLAS_FORKSERVER", "1").strip().lower() in ("0", "no", "off", "false"):
        return False
    return (
        hasattr(os, "fork")
        and hasattr(socket, "AF_UNIX")
        and hasattr(socket, "SOCK_SEQPACKET")
        and hasattr(socket, "send_fds")
    )


def server_key(environ=None, cwd: str | None = None) -> str:
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if k.startswith(_KEY_PREFIXES) or k in _KEY_NAMES}
    env.pop("GRADATLAS_FORKSERVER", None)
    what = [sys.executable, sys.version, cwd or os.getcwd(), sorted(env.items())]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:24]


def socket_path(key: str | None = None) -> str | None:
    """The server's socket, in a folder only this user can enter; None if that folder is
    not private or the path is too long for a Unix socket (107 bytes on Linux)."""
    import tempfile

    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = os.path.join(base, f"gradatlas-{os.getuid()}")
    path = os.path.join(folder, f"{key or server_key()}.sock")
    if len(os.fsencode(path)) > 92:  # the server first binds it with a suffix ".PID.tmp"
        return None
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.stat(folder)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return path


def _server_socket() -> socket.socket | None:
    """A connection to this environment's server, started if none runs; None where the
    server cannot be used."""
    if not enabled():
        return None
    try:
        path = socket_path()
        return (path and (_connect(path) or _start_server(path))) or None
    except OSError:
        return None


def ensure_server() -> bool:
    """Start this environment's server if none is running, and wait until it serves."""
    sock = _server_socket()
    if sock:
        sock.close()
    return sock is not None


def prestart(python: str, environ: dict) -> None:
    """Start, in the background, the server that jobs run as ``python -m gradatlas_launch``
    with the environment ``environ`` will use, and return at once.

    Snakemake spends seconds reading the config and building the job graph before its
    first job; the server's imports (~5 s) then happen meanwhile instead of in front of
    the first jobs. The helper ``python -m gradatlas_launch --prestart`` starts the server
    under the same lock as a launcher does, so a job that arrives while the server is still
    importing waits for it instead of starting a second one. ``python`` is the command the
    rules run (the server is keyed by the interpreter, and ``python`` and ``python3`` are
    different paths). Best effort: nothing happens where the server cannot be used, and a
    failure to start leaves the jobs to start their own.
    """
    import subprocess

    if not enabled():
        return
    try:
        subprocess.Popen(
            [python, "-m", "gradatlas_launch", "--prestart"],
            env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    except OSError:
        pass


#: snakemake options after which no job runs here (a dry run, a listing, a report) or jobs run
#: elsewhere (an executor or profile, e.g. SLURM, where each batch job has its own server)
_NO_LOCAL_JOBS = {
    "--dry-run", "--dryrun", "--list", "--list-rules", "--list-target-rules", "--lint", "--report",
    "--summary", "--detailed-summary", "--dag", "--rulegraph", "--filegraph", "--unlock", "--touch",
    "--cleanup-metadata", "--list-changes", "--delete-all-output", "--delete-temp-output",
    "--executor", "--profile", "-e", "-l", "-t", "-S", "-D",
}  # fmt: skip


def runs_local_jobs(argv: list[str]) -> bool:
    """Whether a snakemake command line will run jobs on this machine (best effort: a dry
    run given as ``-n`` or in a cluster of short flags such as ``-np`` counts as none)."""
    for arg in argv:
        name = arg.split("=", 1)[0]
        if name in _NO_LOCAL_JOBS:
            return False
        if name.startswith("-") and not name.startswith("--") and name[1:].isalpha() and "n" in name:
            return False
    return True


def run_via_server(argv: list[str]) -> int | None:
    """Run the command in a forked worker; its exit code, or None where the server cannot be used."""
    sock = _server_socket()
    if not sock:
        return None
    with sock:
        return _run(sock, argv)


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    return sock


def _start_server(path: str) -> socket.socket | None:
    """Start a server (one at a time: under a lock) and connect to it."""
    import fcntl
    import subprocess
    import time

    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = _connect(path)  # another launcher may have started one meanwhile
        if sock:
            return sock
        remove(path)  # a dead server's socket
        with open(log_path(path), "ab") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gradatlas_launch", "--serve", path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            sock = _connect(path)
            if sock:
                return sock
            time.sleep(0.01)
        return None


def log_path(sock: str) -> str:
    """The server's log, beside its socket ``sock``."""
    return sock[: -len(".sock")] + ".log"


def remove(path: str) -> None:
    """Delete a file if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _std_fds() -> list[int]:
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:  # closed: the worker gets /dev/null there
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


def _run(sock: socket.socket, argv: list[str]) -> int | None:
    umask = os.umask(0)
    os.umask(umask)
    request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "umask": umask}
    try:
        socket.send_fds(sock, [json.dumps(request).encode()], _std_fds())
        reply = json.loads(sock.recv(_MAX_MESSAGE) or b'{"fallback": "server closed"}')
    except (OSError, ValueError):
        return None  # the server went away before it forked: run the command directly
    if "pid" not in reply:
        return None
    pid = reply["pid"]

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        message = sock.recv(_MAX_MESSAGE)
    except OSError:
        message = b""
    if not message:
        print("gradatlas_launch: the fork server stopped before the command finished", file=sys.stderr)
        return 1
    code = os.waitstatus_to_exitcode(json.loads(message)["status"])
    return code if code >= 0 else 128 - code
