"""axe-core (Deque's accessibility rules engine) in the browser tests: installed from npm at
test time into a cache folder outside the repository (never committed, fetched once per
machine), injected into the page through the DevTools protocol (so no script tag, which a
Content-Security-Policy would refuse), run over the whole page. `violations(page)` lists what
it found, each as "rule: where", so a failing test says what to fix.

Set SMARTCHARGE_AXE_DIR to use another folder (CI caches it)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

VERSION = "4.10.2"
CACHE = Path(
    os.environ.get("SMARTCHARGE_AXE_DIR") or Path.home() / ".cache" / "smartcharge" / "axe-core"
)


@functools.cache
def source() -> str:
    script = CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is missing: `apt-get install -y npm` (./run test does it)")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(CACHE),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"axe-core@{VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script.read_text()


def violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA, and best practice)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source() + "\n;true")
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
          .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)
