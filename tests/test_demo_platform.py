"""`smartcharge demo` as a user runs it: the platform and a simulated charger start, the login
page is served, the printed login works over HTTP, the charger reaches Available, and its
about page shows the support period and vulnerability contact (R38)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import httpx

from smartcharge.demo import DEMO_CONTACT


async def _line(proc: asyncio.subprocess.Process, pattern: str, seen: list[str]) -> re.Match[str]:
    assert proc.stdout is not None
    while True:
        raw = await proc.stdout.readline()
        if not raw:
            raise AssertionError("the demo ended early:\n" + "".join(seen))
        line = raw.decode(errors="replace")
        seen.append(line)
        if found := re.search(pattern, line):
            return found


async def test_demo_serves_the_login_and_a_charger_reaches_available() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smartcharge",
        "demo",
        "--chargers",
        "1",
        "--duration",
        "120",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
    )
    seen: list[str] = []
    try:
        async with asyncio.timeout(90):
            url = (await _line(proc, r"smartcharge platform: (http://127\.0\.0\.1:\d+)", seen))[1]
            login = await _line(proc, r"log in as (\S+) with the password (\S+)", seen)
            email, password = login[1], login[2]
            assert len(password) >= 32
            async with httpx.AsyncClient(base_url=url) as web:
                page = await web.get("/")
                assert page.status_code == 200 and 'type="password"' in page.text  # the login
                wrong = await web.post("/api/auth/login", json={"email": email, "password": "x"})
                assert wrong.status_code == 401  # no default password gets in
                r = await web.post("/api/auth/login", json={"email": email, "password": password})
                assert r.status_code == 200, r.text
                chargers = (await web.get("/api/chargers")).json()
                assert [c["identity"] for c in chargers] == ["demo-01"]
                statuses: set[str] = set()
                while "Available" not in statuses:
                    status = (await web.get("/api/chargers/demo-01/status")).json()
                    statuses = {c["status"] for c in status["connectors"]}
                    await asyncio.sleep(0.2)
                assert status["connected"] is True
                # The UK extensions reach our own charge point through the API.
                hours = (await web.get("/api/chargers/demo-01/default-hours")).json()
                assert hours["status"] == "Accepted" and "defaultHours" in hours["data"]
                r = await web.post(
                    "/api/chargers/demo-01/commands/GetConfiguration",
                    json={"key": ["RandomisedDelayMaxSeconds"]},
                )
                assert r.json()["configurationKey"][0]["value"] == "600"
                home = await web.get("/")
                assert 'href="/app/chargers/demo-01"' in home.text and "Online" in home.text
                # The about page: a support period and a vulnerability contact (R38), the
                # demo charger's own (GetDeviceInfo), said to be the charger's.
                about = (await web.get("/app/chargers/demo-01/about")).text
                said = about[about.find('id="support"') :][:600]
                source = '<small class="source">(as the charger reports it)'
                assert f"31 December 2031 {source}" in said, said
                assert f"mailto:{DEMO_CONTACT}" in said, said
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(30):
                rest, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            raise
    assert proc.returncode == 0, "".join(seen) + rest.decode(errors="replace")
