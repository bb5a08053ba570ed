"""DESIGN principle 1: smartcharge.regulations is pure: no I/O, no clock read, no global random."""

from __future__ import annotations

import ast
from pathlib import Path

import smartcharge.regulations

PACKAGE = Path(smartcharge.regulations.__file__).parent
ALLOWED_IMPORTS = {
    "__future__",
    "collections.abc",
    "dataclasses",
    "datetime",
    "enum",
    "itertools",
    "math",
    "random",  # for the random.Random type and tests' seeded sources; never its functions
    "re",
    "secrets",  # secrets.SystemRandom, the CSPRNG (R22)
    "typing",
    "zoneinfo",
}
# Clock reads and I/O by name; the modules "time", "os", "io" etc. are kept out by the import check.
FORBIDDEN_CALLS = {"now", "utcnow", "today", "open", "print", "input"}
ALLOWED_RANDOM_ATTRS = {"Random"}


def modules() -> list[Path]:
    found = sorted(PACKAGE.glob("*.py"))
    assert {p.name for p in found} >= {
        "__init__.py",
        "peak.py",
        "default_hours.py",
        "random_delay.py",
        "catalogue.py",
    }
    return found


def test_imports_are_pure() -> None:
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name in ALLOWED_IMPORTS or name.startswith("smartcharge.regulations"), (
                    f"{path.name} imports {name}"
                )


def test_no_clock_io_or_global_random() -> None:
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "random"
            ):
                assert node.attr in ALLOWED_RANDOM_ATTRS, (
                    f"{path.name}:{node.lineno} random.{node.attr}"
                )
