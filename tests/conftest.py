"""How the whole suite is spread over pytest-xdist workers, and which tests are `slow`.

CI runs every test (nothing is deselected there): `slow` only lets a developer leave the long
whole-system tests out of a quick local loop (`./run test -m "not slow"`).

Workers take tests one by one (`--dist loadgroup`), except where tests share an expensive
fixture wider than a function: those go to one worker together, so the fixture is built once.
"""

from __future__ import annotations

import pytest

# Long whole-system tests: the browser, the REST fuzzer, the crash test, the broken chargers.
SLOW_FILES = (
    "tests/web/test_owner_flows.py",
    "tests/platform/test_api_fuzz.py",
    "tests/e2e/test_crash.py",
    "tests/compliance/test_broken_chargers.py",
)

# Session fixtures that run the compliance suite or a whole stack: one worker each.
SHARED_SESSION_FIXTURES = ("observed",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.endswith(SLOW_FILES):
            item.add_marker(pytest.mark.slow)
        fixtures = set(getattr(item, "fixturenames", ()))
        shared = [f for f in SHARED_SESSION_FIXTURES if f in fixtures]
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared[0]))
        elif _has_module_fixture(item):
            # A module-scoped fixture is built once per worker that runs the module's tests.
            item.add_marker(pytest.mark.xdist_group(path))


def _has_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for defs in info.name2fixturedefs.values():
        if any(d.scope in ("module", "package") for d in defs):
            return True
    return False
