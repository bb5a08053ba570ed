"""The REST API fuzzed by schemathesis against its own OpenAPI: no input, valid or not, gets a
5xx. Schemathesis runs as its own process (its CLI, as a user would run it) against the platform
served by this test's event loop on loopback, with a charger connected that answers every
command at once: so a 5xx can only be the platform's own fault (502 and 504 mean a charger's
CALLERROR or silence; test_api.py checks those)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import httpx
import pytest
from api_harness import add_user, answering_charger, api_url, logged_in
from platform_harness import MakePlatform, Platform

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Ending the fuzzer's own session would leave it testing only the 401 path: those two
# operations get a pass of their own, with a token of their own.
SESSION_ENDERS = r"^/api/auth/(logout|tokens/\{token_id\})$"


async def _fuzz(platform: Platform, token: str, tmp_path: Path, *extra: str) -> None:
    await asyncio.to_thread(tmp_path.mkdir)
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{api_url(platform)}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        "12",
        "--seed",
        "20261121",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        "--report-dir",
        str(tmp_path),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SCHEMATHESIS_HOOKS": ""},
        cwd=tmp_path,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-6000:]
    assert "passed" in text.lower(), text[-2000:]


# The operator's pass is split by path into parts that run on different workers; every path of
# the OpenAPI document is in exactly one part (test_the_parts_cover_every_path).
PARTS = 4


def _part_regex(paths: list[str], part: int) -> str:
    mine = [p for i, p in enumerate(sorted(paths)) if i % PARTS == part]
    return "^(" + "|".join(re.escape(p) for p in mine) + ")$"


async def _operator_paths(platform: Platform, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}  # the schema is for logged-in users only
    async with httpx.AsyncClient(base_url=api_url(platform), timeout=30) as client:
        r = await client.get("/openapi.json", headers=headers)
        assert r.status_code == 200, r.text
    return [p for p in r.json()["paths"] if not re.match(SESSION_ENDERS, p)]


def test_the_parts_cover_every_path() -> None:
    paths = ["/api/a", "/api/b/{x}", "/api/c", "/app/d", "/api/e", "/api/f"]
    covered = [p for part in range(PARTS) for p in paths if re.match(_part_regex(paths, part), p)]
    assert sorted(covered) == sorted(paths)


@pytest.fixture
async def fuzzed_platform(make_platform: MakePlatform) -> Platform:
    # The fuzzer tries wrong passwords on the login routes: no lock-out of the test's own logins.
    platform = await make_platform(lockout_failures=1_000_000)
    await platform.add("CP-1", owner="owner@example.org")
    return platform


@pytest.mark.timeout(900)
@pytest.mark.parametrize("part", range(PARTS))
async def test_no_input_gets_a_5xx_as_operator(
    fuzzed_platform: Platform, tmp_path: Path, part: int
) -> None:
    platform = fuzzed_platform
    operator = await add_user(platform, "op@example.org", "operator")
    await add_user(platform, "grid@example.org", "aggregator")  # the group's aggregator
    async with (
        answering_charger(platform, "CP-1"),
        logged_in(platform, "op@example.org", operator) as op,
    ):
        await op.post("/api/groups", json={"name": "south", "aggregator": "grid@example.org"})
        await op.put("/api/groups/south/chargers/CP-1")
        op_token = op.headers["Authorization"].removeprefix("Bearer ")
        regex = _part_regex(await _operator_paths(platform, op_token), part)
        await _fuzz(platform, op_token, tmp_path / "operator", "--include-path-regex", regex)


@pytest.mark.timeout(900)
async def test_no_input_gets_a_5xx_as_aggregator_or_when_ending_sessions(
    fuzzed_platform: Platform, tmp_path: Path
) -> None:
    platform = fuzzed_platform
    operator = await add_user(platform, "op@example.org", "operator")
    aggregator = await add_user(platform, "grid@example.org", "aggregator")
    async with answering_charger(platform, "CP-1"):
        async with logged_in(platform, "op@example.org", operator) as op:
            await op.post("/api/groups", json={"name": "south", "aggregator": "grid@example.org"})
            await op.put("/api/groups/south/chargers/CP-1")
        async with logged_in(platform, "grid@example.org", aggregator) as agg:
            agg_token = agg.headers["Authorization"].removeprefix("Bearer ")
            await _fuzz(
                platform,
                agg_token,
                tmp_path / "aggregator",
                "--include-path-regex",
                "^/api/(dsr|groups)",
            )
        async with logged_in(platform, "op@example.org", operator) as op:
            token = op.headers["Authorization"].removeprefix("Bearer ")
            await _fuzz(
                platform, token, tmp_path / "enders", "--include-path-regex", SESSION_ENDERS
            )
