"""How the whole suite is spread over pytest-xdist workers, and which tests are `slow`.

CI runs every test (nothing is deselected there): `slow` only lets a developer leave the long
whole-system tests out of a quick local loop (`./run test -m "not slow"`).

Workers take tests one by one, except where tests share an expensive fixture wider than a
function: those go to one worker together, so the fixture is built once
(`pytest_xdist_make_scheduler` below).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Long whole-system tests: the browser, the REST fuzzer, the crash test, the broken chargers.
SLOW_FILES = (
    "tests/web/test_flow_login.py",
    "tests/web/test_flow_hours.py",
    "tests/web/test_flow_sessions.py",
    "tests/web/test_flow_firmware.py",
    "tests/web/test_flow_security.py",
    "tests/web/test_flow_account.py",
    "tests/platform/test_api_fuzz.py",
    "tests/e2e/test_crash.py",
    "tests/compliance/test_broken_chargers.py",
)

# Tests that share the session fixture running the compliance suite against our charger
# (tests/compliance/conftest.py): one worker runs them all, so the suite runs once.
OBSERVED_FILES = (
    "tests/compliance/test_suite_simulated.py",
    "tests/compliance/test_broken_chargers.py",
)
# Tests that run in one guest kernel where this machine's has no gpio-sim
# (tests/support/gpio_guest_items.py): one worker runs them all, so the guest boots once.
GUEST_KERNEL_FILES = ("tests/chargepoint/devices/test_gpio.py",)
# A fixture scoped to a module or package, written out or made by compliance_doubles's factory.
MODULE_SCOPE = re.compile(r"""scope\s*=\s*["'](module|package)["']|\bmodule_of_doubles\(""")


def pytest_itemcollected(item: pytest.Item) -> None:
    if item.nodeid.split("::", 1)[0].endswith(SLOW_FILES):
        item.add_marker(pytest.mark.slow)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's own grouping (`--dist loadgroup`) does not take with pytest 9.2, so the workers
    get their tests from this scheduler: one unit per test, except tests that share a fixture
    wider than a function, which go to one worker together so that it is built once."""
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return Grouped(config, log)


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path.endswith(OBSERVED_FILES):
        return "compliance-observed"
    if path.endswith(GUEST_KERNEL_FILES) or _module_fixtures(path):
        return path
    return nodeid


@functools.cache
def _module_fixtures(path: str) -> bool:
    """Whether the test file, or a conftest.py above it in tests/, defines a fixture scoped to a
    module or package (read as text: the controller collects nothing itself)."""
    file = ROOT / path
    places = [file, *(d / "conftest.py" for d in file.parents if d.is_relative_to(ROOT / "tests"))]
    return any(p.is_file() and MODULE_SCOPE.search(p.read_text()) for p in places)
