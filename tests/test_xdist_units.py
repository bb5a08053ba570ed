"""How tests/conftest.py's scheduler groups tests into xdist units: a file whose tests share a
module-scoped fixture is one unit (its fixture is built once), any other test is a unit of its
own."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_file_of_broken_chargers_is_one_unit(conftest: ModuleType) -> None:
    # Their fixture comes from compliance_doubles.module_of_doubles, not written in the file.
    files = sorted(ROOT.glob("tests/compliance/test_broken_*.py"))
    files = [f for f in files if f.name != "test_broken_chargers.py"]
    assert len(files) >= 3
    for file in files:
        path = file.relative_to(ROOT).as_posix()
        for fault in ("a", "b"):
            node = f"{path}::test_reports_exactly_the_broken_rules[{fault}]"
            assert conftest.unit_of(node) == path


def test_a_test_without_a_wider_fixture_is_its_own_unit(conftest: ModuleType) -> None:
    node = "tests/test_xdist_units.py::test_a_test_without_a_wider_fixture_is_its_own_unit"
    assert conftest.unit_of(node) == node


def test_the_gpio_tests_are_one_unit_so_one_guest_kernel_boots(conftest: ModuleType) -> None:
    path = "tests/chargepoint/devices/test_gpio.py"
    for name in ("test_the_leds_show_the_connectors_status", "test_lines_held_by_another_program"):
        assert conftest.unit_of(f"{path}::{name}") == path
