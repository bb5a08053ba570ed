"""The compliance tests fork their chargers from a preloaded interpreter
(tests/support/preloaded_chargers.py): each must still be a process of its own that behaves as
`python SCRIPT ARGS` would: its arguments, `__main__`, its stderr file, its exit status, and
signals that reach it and only it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from preloaded_chargers import PreloadedSpawn
from waiting import until

SCRIPT = """
import os, signal, sys
print("on stdout: must not reach the preloader's answers", flush=True)
print(f"args={sys.argv[1:]} main={__name__} pid={os.getpid()}", file=sys.stderr, flush=True)
if sys.argv[1] == "wait":
    signal.pause()  # until a signal ends it
if sys.argv[1] == "fail":
    raise RuntimeError("broken on purpose")
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "child.py"
    path.write_text(SCRIPT)
    return path


def _wrote(err: Path, pid: int) -> bool:
    return err.exists() and f"pid={pid}" in err.read_text()


async def test_each_child_runs_the_script_as_main_with_its_own_args_stderr_and_exit_code(
    script: Path, tmp_path: Path
) -> None:
    spawn = PreloadedSpawn(script)
    try:
        procs = [
            await spawn([sys.executable, str(script), str(code)], tmp_path / f"{code}.err")
            for code in (0, 3, 7)
        ]
        assert len({p.pid for p in procs}) == 3 and os.getpid() not in {p.pid for p in procs}
        assert [await p.wait() for p in procs] == [0, 3, 7]
        for code, p in zip((0, 3, 7), procs, strict=True):
            text = (tmp_path / f"{code}.err").read_text()
            assert f"args=['{code}'] main=__main__ pid={p.pid}" in text
            assert "on stdout" not in text
        failed = await spawn([sys.executable, str(script), "fail"], tmp_path / "fail.err")
        assert await failed.wait() == 1
        assert "RuntimeError: broken on purpose" in (tmp_path / "fail.err").read_text()
    finally:
        await spawn.close()


async def test_terminate_and_kill_reach_the_child_and_close_ends_the_rest(
    script: Path, tmp_path: Path
) -> None:
    spawn = PreloadedSpawn(script)
    try:
        a = await spawn([sys.executable, str(script), "wait"], tmp_path / "a.err")
        b = await spawn([sys.executable, str(script), "wait"], tmp_path / "b.err")
        c = await spawn([sys.executable, str(script), "wait"], tmp_path / "c.err")
        for p, name in ((a, "a"), (b, "b"), (c, "c")):
            await until(lambda p=p, name=name: _wrote(tmp_path / f"{name}.err", p.pid))
        a.terminate()
        assert await a.wait() == -15
        b.kill()
        assert await b.wait() == -9
        assert c.returncode is None  # the others' signals did not reach it
    finally:
        await spawn.close()
    # The preloader's end takes its children with it, and says so.
    assert await c.wait() == -9 and c.reported


async def test_only_the_named_script_is_started(script: Path, tmp_path: Path) -> None:
    spawn = PreloadedSpawn(script)
    try:
        with pytest.raises(ValueError, match="not"):
            await spawn([sys.executable, str(tmp_path / "other.py"), "0"], tmp_path / "x.err")
    finally:
        await spawn.close()
