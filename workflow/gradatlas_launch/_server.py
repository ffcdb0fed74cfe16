"""The fork server: import once, then fork one worker per launcher connection."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import resource
import select
import signal
import socket
import sys
import threading
import time
import traceback

from . import _MAX_MESSAGE, IDLE_S, PRELOAD, log_path, remove


def serve(path: str) -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    _check_backend_not_started()
    # The imported modules' objects go to the garbage collector's permanent generation: a
    # worker's collections then neither scan them nor write to their pages (which would copy
    # them, page by page, into every worker).
    gc.collect()
    gc.freeze()
    stamp = source_stamp()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    tmp = f"{path}.{os.getpid()}.tmp"
    listener.bind(tmp)
    listener.listen(64)
    os.rename(tmp, path)  # atomically in place: a launcher never sees a half-made server
    inode = os.stat(path).st_ino
    print(f"gradatlas_launch: serving {path} (pid {os.getpid()})", flush=True)

    wake_r, wake_w = os.pipe()  # SIGCHLD wakes the select below
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)

    children: dict[int, socket.socket] = {}
    idle_since = time.monotonic()
    while listener is not None or children:
        ready = select.select([wake_r] + ([listener] if listener else []), [], [], 1.0)[0]
        if wake_r in ready:
            os.read(wake_r, 4096)
        for pid, status in _reap(children):
            conn = children.pop(pid)
            try:
                conn.send(json.dumps({"status": status}).encode())
            except OSError:  # the launcher is gone
                pass
            conn.close()
            idle_since = time.monotonic()
        if listener is None:
            continue
        stop = not children and time.monotonic() - idle_since > IDLE_S
        if listener in ready:
            conn = listener.accept()[0]
            if source_stamp() != stamp:  # gradatlas was edited: the next launcher starts a fresh server
                _reply_fallback(conn, "stale")
                stop = True
            else:
                _fork_worker(conn, listener, (wake_r, wake_w), children)
        if stop:  # launchers waiting in the backlog see the socket close, and run directly
            _unlink_if_ours(path, inode)
            listener.close()
            listener = None
    if not os.path.exists(path):  # no newer server took the name: tidy its lock and log away
        remove(path + ".lock")
        remove(log_path(path))


def source_stamp() -> list:
    """(file, mtime, size) of every loaded gradatlas module: changes when one is edited."""
    stamp = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and name.split(".")[0] in ("gradatlas", "gradatlas_launch"):
            try:
                st = os.stat(path)
            except OSError:
                return [("missing", path)]
            stamp.append((path, st.st_mtime_ns, st.st_size))
    return sorted(stamp)


def _check_backend_not_started() -> None:
    """Forking after XLA started its thread pools would hand the workers a broken backend."""
    from jax._src import xla_bridge

    if getattr(xla_bridge, "_backends", None):
        raise SystemExit("gradatlas_launch: importing gradatlas started the XLA backend; cannot fork")


def _reply_fallback(conn: socket.socket, reason: str) -> None:
    try:
        _, fds, _, _ = socket.recv_fds(conn, _MAX_MESSAGE, 3)
        for fd in fds:
            os.close(fd)
        conn.send(json.dumps({"fallback": reason}).encode())
    except OSError:
        pass
    conn.close()


def _reap(children):
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:
            yield pid, status


def _unlink_if_ours(path: str, inode: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        if os.stat(path).st_ino == inode:
            remove(path)


def _fork_worker(conn, listener, wake, children) -> None:
    try:
        conn.settimeout(10)
        message, fds, _, _ = socket.recv_fds(conn, _MAX_MESSAGE, 3)
        request = json.loads(message)
        conn.settimeout(None)
    except (OSError, ValueError):
        conn.close()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            listener.close()
            signal.set_wakeup_fd(-1)
            for fd in wake:
                os.close(fd)
            code = _worker(conn, fds, request)
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    children[pid] = conn
    try:
        conn.send(json.dumps({"pid": pid}).encode())
    except OSError:  # the launcher died while we forked
        os.kill(pid, signal.SIGTERM)


def _worker(conn: socket.socket, fds: list[int], request: dict) -> int:
    """In the forked child: become the launcher's command, run it, return its exit code."""
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    _name_process(f"gradatlas {request['argv'][0] if request['argv'] else ''}")
    _reopen_std_streams()
    threading.Thread(target=_exit_when_launcher_dies, args=(conn,), daemon=True).start()

    from gradatlas.cli import main

    sys.argv = ["gradatlas", *request["argv"]]
    try:
        main(request["argv"])
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 128 + signal.SIGINT
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"gradatlas_launch: forked worker used {usage.ru_utime + usage.ru_stime:.2f} s CPU, "
        f"max RSS {usage.ru_maxrss / 1024:.0f} MB",
        file=sys.stderr,
    )
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        stream.flush()
    return code


def _name_process(name: str) -> None:
    """What top and ps -o comm show (Linux; the command line stays the server's)."""
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name[:15])
    except OSError:
        pass


def _reopen_std_streams() -> None:
    """Buffer stdout/stderr the way a fresh interpreter would for these file descriptors."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    for name, fd in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        old.flush()
        binary = open(fd, "wb", buffering=0 if unbuffered else -1, closefd=False)
        stream = io.TextIOWrapper(
            binary,
            encoding=old.encoding,
            errors=old.errors,
            line_buffering=fd == 2 or os.isatty(fd),
            write_through=unbuffered,
        )
        setattr(sys, name, stream)
    sys.stdin = open(0, closefd=False)


def _exit_when_launcher_dies(conn: socket.socket) -> None:
    """The launcher never writes after its request: end-of-file means it was killed."""
    try:
        while conn.recv(16):
            pass
    except OSError:
        pass
    os._exit(128 + signal.SIGTERM)
