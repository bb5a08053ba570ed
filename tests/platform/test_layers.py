"""The platform's layers (docs/platform.md, "Service layer"), checked on the source like
tests/regulations/test_purity.py: the web app has no SQL and imports no route module of the
REST API (both call the services); the services know nothing of HTTP; the store knows nothing
of the layers above it. A positive control shows the checker catches each kind of breach."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

from fastapi import APIRouter

import smartcharge.platform.api
import smartcharge.platform.services
import smartcharge.platform.store
import smartcharge.platform.web

API = "smartcharge.platform.api"
SQL_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3", "psycopg")
SQL_TEXT = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+TABLE)\b",
    re.IGNORECASE | re.DOTALL,
)
HTTP_MODULES = ("fastapi", "starlette")


def route_modules() -> set[str]:
    """Every module of the REST API that defines routes (an APIRouter), found by importing
    them, so a new route module is covered without editing this test."""
    found = set()
    for info in pkgutil.iter_modules(smartcharge.platform.api.__path__):
        module = importlib.import_module(f"{API}.{info.name}")
        if any(isinstance(v, APIRouter) for v in vars(module).values()):
            found.add(module.__name__)
    assert {f"{API}.chargers", f"{API}.schedules", f"{API}.accounts"} <= found
    return found


def statements(tree: ast.AST) -> list[list[str]]:
    """Per import statement, the dotted names it imports (for `from a import b` both `a` and
    `a.b`: b may be a module)."""
    found: list[list[str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.append([a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
    return found


def imports(tree: ast.AST) -> list[str]:
    return [name for names in statements(tree) for name in names]


def _sql_module(name: str) -> bool:
    return name.split(".")[0] in SQL_MODULES or name.startswith("smartcharge.platform.store")


def _route_module(name: str, routes: set[str]) -> bool:
    return name == API or name in routes or any(name.startswith(r + ".") for r in routes)


def web_breaches(source: str, routes: set[str]) -> list[str]:
    tree = ast.parse(source)
    out = []
    for names in statements(tree):
        if any(_sql_module(n) for n in names):
            out.append(f"imports {names[0]} (SQL belongs in platform/store)")
        if any(_route_module(n, routes) for n in names):
            out.append(f"imports {names[0]} (a route module of the REST API: call a service)")
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and SQL_TEXT.search(text):
            out.append(f"SQL text {text[:40]!r}")
        caught = node.type if isinstance(node, ast.ExceptHandler) else None
        if caught is not None and "HTTPException" in ast.unparse(caught):
            out.append("catches HTTPException (a service raises domain errors)")
    return out


def sources(package: object) -> list[Path]:
    root = Path(package.__file__).parent  # type: ignore[attr-defined]
    return sorted(root.rglob("*.py"))


def test_the_checker_catches_each_breach() -> None:
    routes = route_modules()
    bad = """
from sqlalchemy import select
from smartcharge.platform.store.models import MeterValue
from smartcharge.platform.api.chargers import live_status
from smartcharge.platform.api import schedules
STMT = "select value from meter_values where id = 1"
try:
    pass
except HTTPException:
    pass
"""
    found = web_breaches(bad, routes)
    assert len(found) == 6, found
    assert web_breaches("from smartcharge.platform.api.auth import Api\n", routes) == []


def test_web_has_no_sql_and_imports_no_route_module() -> None:
    routes = route_modules()
    files = sources(smartcharge.platform.web)
    assert len(files) >= 15
    breaches = {
        str(p.name): found
        for p in files
        if (found := web_breaches(p.read_text(encoding="utf-8"), routes))
    }
    assert breaches == {}


def test_services_know_no_http_and_store_knows_no_layer_above() -> None:
    above_services = ("smartcharge.platform.api", "smartcharge.platform.web")
    for path in sources(smartcharge.platform.services):
        for name in imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not name.startswith((*HTTP_MODULES, *above_services)), f"{path.name}: {name}"
    for path in sources(smartcharge.platform.store):
        for name in imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not name.startswith((*above_services, "smartcharge.platform.services")), (
                f"{path.name}: {name}"
            )
