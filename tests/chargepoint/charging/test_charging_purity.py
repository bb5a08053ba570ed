"""The charging decision is pure (DESIGN principle 1): chargepoint/charging and every module of
ours it imports, followed to the end, do no I/O, run no event loop, touch no store and read no
clock or global random. Time and randomness come in as arguments."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import smartcharge
import smartcharge.chargepoint.charging

PACKAGE = Path(smartcharge.chargepoint.charging.__file__).parent
STDLIB_ALLOWED = {
    "__future__",
    "bisect",
    "collections.abc",
    "dataclasses",
    "datetime",
    "enum",
    "itertools",
    "json",  # installed profiles round-trip through JSON text; no file is opened
    "math",
    "random",  # for the random.Random type; never its functions
    "re",
    "secrets",  # secrets.SystemRandom, the CSPRNG (R22)
    "typing",
    "zoneinfo",
}
# Our pure packages: the decision may lean on them, and they are checked the same way.
OURS_ALLOWED = (
    "smartcharge.chargepoint.charging",
    "smartcharge.chargepoint.smart_charging",
    "smartcharge.regulations",
    "smartcharge.ocpp.times",
)
# Clock reads and I/O by name (the modules time, os, io, asyncio are kept out by the imports).
FORBIDDEN_CALLS = {"now", "utcnow", "today", "monotonic", "sleep", "open", "print", "input"}
ALLOWED_RANDOM_ATTRS = {"Random"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _path(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return Path(spec.origin)


def closure() -> dict[str, Path]:
    """Every module of ours the charging package reaches, by import, from its files."""
    todo = [f"smartcharge.chargepoint.charging.{p.stem}" for p in PACKAGE.glob("*.py")]
    todo = [m.removesuffix(".__init__") for m in todo]
    seen: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen[module] = _path(module)
        todo += [m for m in _imports(seen[module]) if m.startswith("smartcharge")]
    return seen


def test_the_charging_package_is_all_there() -> None:
    names = {p.name for p in PACKAGE.glob("*.py")}
    assert names >= {"__init__.py", "decision.py", "caps.py", "delayed_rate.py", "controller.py"}


def test_imports_are_pure_all_the_way_down() -> None:
    modules = closure()
    assert "smartcharge.chargepoint.smart_charging.composite" in modules  # the walk follows
    for module, path in modules.items():
        assert module.startswith(OURS_ALLOWED), f"charging reaches {module}"
        for name in _imports(path):
            assert name in STDLIB_ALLOWED or name.startswith(OURS_ALLOWED), (
                f"{module} imports {name}"
            )


def test_no_clock_io_or_global_random() -> None:
    for module, path in closure().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                assert name not in FORBIDDEN_CALLS, f"{module}:{node.lineno} calls {name}"
            if isinstance(node, ast.Await | ast.AsyncFunctionDef):
                raise AssertionError(f"{module}:{node.lineno} is asynchronous")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "random"
            ):
                assert node.attr in ALLOWED_RANDOM_ATTRS, (
                    f"{module}:{node.lineno} random.{node.attr}"
                )


def test_one_function_in_the_tree_is_called_decide() -> None:
    """A newcomer who greps for the charging decision finds one."""
    src = Path(smartcharge.__file__).parent
    found = [
        f"{path.relative_to(src)}:{node.lineno}"
        for path in src.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "decide"
    ]
    assert found == [f"chargepoint/charging/decision.py:{_line_of_decide()}"]


def _line_of_decide() -> int:
    tree = ast.parse((PACKAGE / "decision.py").read_text())
    return next(
        n.lineno for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "decide"
    )
