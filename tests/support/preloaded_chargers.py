"""The compliance tests' chargers, forked from one interpreter that has already imported them.

A charger process spends most of a short scenario importing: about 0.4 s of CPU before its
control API listens, and the tests start some 180 of them (the broken chargers and our own,
watched). Here a parent process (the "preloader", this file run as a script) imports the
charger's code once; each charger is then `fork()`ed from it and runs its script as `__main__`
exactly as `python SCRIPT ARGS` would, in a process of its own with its own pid, stderr file and
exit status. Only the imports are shared, never state: the preloader starts no event loop, no
thread and opens no file or socket that a charger keeps.

`PreloadedSpawn` is what `SimulatedTarget(spawn=...)` takes. A launch with an environment of its
own (the suite's copy of the software, R31) cannot be forked from imports of the installed one:
the target starts those with exec, as always.

The broken chargers' suite processes (tests/compliance/suite_process.py) are forked the same
way, from a preloader that has imported the suite and SciPy (`SUITE_PRELOAD`): some 1.5 s of
CPU each, and the tests run 34 of them.

    python preloaded_chargers.py SCRIPT MODULE,MODULE,...   (JSON commands on stdin; see _serve)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

# What every simulated charger imports before its control API listens (its composition root,
# the simulated hardware and its control API, the owner API's server); the script's own modules
# (a broken charger's faults) are imported by the script in each child.
PRELOAD = (
    "smartcharge.entry",
    "smartcharge.chargepoint.daemon",
    "smartcharge.chargepoint.app",
    "smartcharge.chargepoint.config",
    "smartcharge.chargepoint.hardware.choose",
    "smartcharge.chargepoint.hardware.simulated.hardware",
    "smartcharge.chargepoint.hardware.simulated.control_api",
    "smartcharge.chargepoint.owner_api.server",
    "smartcharge.chargepoint.owner_api.tls",
    "smartcharge.chargepoint.owner_api.parts",
    "smartcharge.logs",
)

# What a broken charger's suite process imports before its first charger starts; SciPy's tests
# too when one of its scenarios judges a sample of delays (STATISTICS). SciPy loads numpy, whose
# BLAS starts a thread pool at import unless told to use one thread: a fork keeps only the
# forking thread, so the preloader's environment says one (SUITE_ENV).
SUITE_PRELOAD = (
    "smartcharge.compliance.runner",
    "smartcharge.compliance.scenarios",
    "smartcharge.compliance.target",
)
STATISTICS = ("scipy.stats",)
SUITE_ENV = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


class Forked:
    """A charger forked by the preloader: what `asyncio.subprocess.Process` offers the target."""

    def __init__(self, spawn: PreloadedSpawn, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.reported = False  # the exit status came from the preloader, which reaped it
        self._spawn = spawn
        self._exited = asyncio.Event()

    def terminate(self) -> None:
        self._spawn._signal(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        self._spawn._signal(self.pid, signal.SIGKILL)

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    def _exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()


class PreloadedSpawn:
    """Starts `script` (run as `python script ARGS`) by forking it from a preloader that has
    imported `preload` (the charger's modules unless told otherwise), with `env` added to its
    environment (and so to every child's)."""

    def __init__(
        self, script: Path, preload: tuple[str, ...] = PRELOAD, env: dict[str, str] | None = None
    ) -> None:
        self.script = script
        self.preload = preload
        self.env = env
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._started: asyncio.Queue[int] = asyncio.Queue()
        self._children: dict[int, Forked] = {}
        self._exits: dict[int, int] = {}  # an exit read before its start's answer
        self._lock = asyncio.Lock()

    async def __call__(self, argv: list[str], stderr: Path) -> Forked:
        """`argv`: `python SCRIPT ARGS...`, as the target would exec it."""
        if argv[:2] != [sys.executable, str(self.script)]:
            raise ValueError(f"not `{sys.executable} {self.script} ...`: {argv[:2]}")
        async with self._lock:  # one start at a time: the answers come in order
            if self._proc is None:
                self._proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    str(self.script),
                    ",".join(self.preload),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=None if self.env is None else {**os.environ, **self.env},
                )
                self._reader = asyncio.create_task(self._read())
            self._send({"argv": argv[2:], "stderr": str(stderr)})
            pid = await self._started.get()
            if pid < 0:
                raise OSError(f"the preloader could not start {self.script.name}")
            child = Forked(self, pid)
            self._children[pid] = child
            if pid in self._exits:
                child.reported = True
                child._exit(self._exits.pop(pid))
            return child

    def _send(self, command: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command).encode() + b"\n")

    def _signal(self, pid: int, sig: int) -> None:
        # Sent by the preloader, which signals only a child it has not reaped yet: a pid that
        # exited and was reused by another process is never signalled.
        if self._proc is not None and self._proc.returncode is None:
            self._send({"signal": pid, "sig": int(sig)})

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            msg = json.loads(line)
            if "started" in msg:
                self._started.put_nowait(int(msg["started"]))
            elif "exited" in msg:
                pid, code = int(msg["exited"]), int(msg["code"])
                child = self._children.pop(pid, None)
                if child is None:
                    self._exits[pid] = code
                else:
                    child.reported = True
                    child._exit(code)
        # The preloader was killed from outside before telling of these: the kernel killed them
        # with it (PR_SET_PDEATHSIG in _child); no start waits either.
        for child in self._children.values():
            child._exit(-signal.SIGKILL)
        self._children.clear()
        self._started.put_nowait(-1)

    async def close(self) -> None:
        """Stop the preloader; any charger still running is killed by it first."""
        if self._proc is None:
            return
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        await self._proc.wait()
        if self._reader is not None:
            await self._reader


# The preloader's side -----------------------------------------------------------------------


def _child(script: str, argv: list[str], stderr: str, keep: list[int]) -> None:
    """In the forked child: become `python script ARGV` with stderr to `stderr`; never returns."""
    code = 1
    try:
        # Killed with the preloader, whatever kills it: no charger outlives the test that
        # started it (Linux's PR_SET_PDEATHSIG, 1).
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        err = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(err, 2)
        for fd in (null, err, *keep):
            os.close(fd)
        import runpy

        sys.argv = [script, *argv]
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _serve(script: str, preload: list[str]) -> None:
    """Read commands on stdin: {"argv": [...], "stderr": PATH} starts a charger and answers
    {"started": PID}; {"signal": PID, "sig": N} signals a child not yet reaped. Each child's exit
    is told as {"exited": PID, "code": N} (-N for signal N, as asyncio says it). At the end of
    stdin every child still running is killed."""
    import importlib
    import selectors

    sys.path.insert(0, str(Path(script).parent))
    for name in preload:
        importlib.import_module(name)
    # A fork keeps only the forking thread: a thread started by an import (a BLAS pool) would
    # be missing in every child, with whatever it held.
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise SystemExit(f"the preloader has {threads} threads after importing {preload}")
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    alive: set[int] = set()
    out = sys.stdout

    def tell(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    def reap() -> None:
        while alive:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            alive.discard(pid)
            tell({"exited": pid, "code": os.waitstatus_to_exitcode(status)})

    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "stdin")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    keep = [wake_r, wake_w, sel.fileno()]
    pending = b""  # read from stdin, not yet a whole line
    while True:
        for key, _ in sel.select():
            if key.data == "wake":
                os.read(wake_r, 4096)
                reap()
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                for pid in alive:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                while alive:
                    pid, status = os.waitpid(-1, 0)
                    alive.discard(pid)
                    tell({"exited": pid, "code": os.waitstatus_to_exitcode(status)})
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                cmd = json.loads(line)
                if "signal" in cmd:
                    if int(cmd["signal"]) in alive:
                        os.kill(int(cmd["signal"]), int(cmd["sig"]))
                    continue
                pid = os.fork()
                if pid == 0:
                    _child(script, list(cmd["argv"]), str(cmd["stderr"]), keep)
                alive.add(pid)
                tell({"started": pid})
            reap()


if __name__ == "__main__":
    _serve(sys.argv[1], [name for name in sys.argv[2].split(",") if name])
