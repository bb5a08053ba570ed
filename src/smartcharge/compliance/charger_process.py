"""How the simulated target starts and stops a charger's process, and writes its config.

A charger is `python -m smartcharge chargepoint run --config FILE` (or a program taking the same
`--config`), exec'd by default; `Spawn` lets a caller start it another way (the tests fork theirs
from a process that has imported them already, tests/support/preloaded_chargers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, datetime):
        return v.isoformat()
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_toml(config: dict[str, Any]) -> str:
    top = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    tables = []
    for k, v in config.items():
        if isinstance(v, dict):
            tables.append(f"\n[{k}]")
            tables.extend(f"{kk} = {_toml_value(vv)}" for kk, vv in v.items())
    return "\n".join(top + tables) + "\n"


class ChargerProcess(Protocol):
    """What the target needs of a charger's process (`asyncio.subprocess.Process` has it)."""

    @property
    def returncode(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    async def wait(self) -> int: ...


# Starts `argv` (a program and its arguments) with stdin and stdout on /dev/null and stderr
# appended to the file: how `SimulatedTarget` starts its chargers when given one (the tests fork
# theirs from a process that has imported them already, tests/support/preloaded_chargers.py).
Spawn = Callable[[list[str], Path], Awaitable[ChargerProcess]]


async def exec_charger(argv: list[str], stderr: Path, env: dict[str, str] | None) -> ChargerProcess:
    """`argv` exec'd with stdin and stdout on /dev/null and stderr appended to `stderr`."""
    with stderr.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=env,
        )


async def stop_process(proc: ChargerProcess) -> None:
    """SIGTERM, and SIGKILL if it has not ended 5 s later; returns once it has ended."""
    if proc.returncode is not None:
        return
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
