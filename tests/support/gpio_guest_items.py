"""The gpio_sim tests as pytest items that run in the guest kernel (gpio_guest.py).

Where this machine's kernel has no gpio-sim, each test marked gpio_sim is replaced at collection by
an item with the same id that boots the guest (once per process, for all of them), runs the
original tests there with pytest, and passes, fails or is skipped as each did in the guest. A test
the guest skipped fails here: in the guest, gpio-sim is there to be used.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import gpio_guest
import pytest

OUTCOMES = pytest.StashKey[dict[str, tuple[str, str]]]()


class GuestFailure(Exception):
    """What the guest reported for a test, shown as the failure (no traceback from here)."""


class InGuestKernel(pytest.Item):
    def runtest(self) -> None:
        outcome, text = outcomes(self.session).get(self.name, ("missing", "no result"))
        if outcome == "unavailable":
            if os.environ.get("CI"):  # `./run test` installs what the guest needs
                raise GuestFailure(f"no guest kernel with gpio-sim in CI: {text}")
            # On a developer machine without qemu the other GPIO tests still run.
            pytest.skip(text)
        if outcome != "passed":
            raise GuestFailure(f"in the guest kernel: {outcome}\n{text}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, GuestFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.name} (in a guest kernel with gpio-sim)"


def replace(items: list[pytest.Item]) -> None:
    for index, item in enumerate(items):
        if item.get_closest_marker("gpio_sim") is None:
            continue
        guest = InGuestKernel.from_parent(item.parent, name=item.name)
        guest.add_marker(pytest.mark.gpio_sim)
        guest.add_marker(pytest.mark.slow)
        # Only a guard: the first item builds the guest (once per machine) and boots it.
        guest.add_marker(pytest.mark.timeout(2 * gpio_guest.BOOT_GUARD_S))
        items[index] = guest


def outcomes(session: pytest.Session) -> dict[str, tuple[str, str]]:
    if OUTCOMES not in session.stash:
        guests = [item for item in session.items if isinstance(item, InGuestKernel)]
        session.stash[OUTCOMES] = _run_in_guest(session.config.rootpath, guests)
    return session.stash[OUTCOMES]


def _run_in_guest(rootdir: Path, items: list[InGuestKernel]) -> dict[str, tuple[str, str]]:
    try:
        image = gpio_guest.prepare()
    except gpio_guest.GuestUnavailable as why:
        return {item.name: ("unavailable", str(why)) for item in items}
    venv_bin = Path(sys.executable).parent
    script = "\n".join(
        [
            f"cd {shlex.quote(str(rootdir))}",
            f"export PATH={shlex.quote(str(venv_bin))}:/usr/local/bin:/usr/bin:/bin",
            "export HOME=/tmp PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8",
            # Python under software emulation is slow: only the plugins these tests use, and
            # none of the conftest files (their hooks only matter where gpio-sim is missing).
            "export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1",
            f"exec {shlex.quote(sys.executable)} -m pytest -p asyncio -p timeout "
            "-p no:cacheprovider --noconftest -q -rA "
            "--junitxml=/tmp/guest-out/report.xml "
            + " ".join(shlex.quote(item.nodeid) for item in items),
        ]
    )
    with tempfile.TemporaryDirectory(prefix="gpio-guest-") as results:
        run = gpio_guest.run(image, script + "\n", Path(results))
        report = Path(results) / "report.xml"
        found = _read_report(report) if report.is_file() else {}
    tail = f"guest pytest output:\n{run.output[-4000:]}\nguest console:\n{run.console[-2000:]}"
    return {item.name: found.get(item.name, ("not run", tail)) for item in items}


def _read_report(report: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name", "")
        verdicts = [case.find(tag) for tag in ("failure", "error", "skipped")]
        bad = next((v for v in verdicts if v is not None), None)
        if bad is None:
            out[name] = ("passed", "")
        else:
            text = f"{bad.get('message', '')}\n{bad.text or ''}"
            out[name] = (
                "skipped (gpio-sim unusable in the guest)" if bad.tag == "skipped" else bad.tag,
                text,
            )
    return out
