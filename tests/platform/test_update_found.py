"""R30: what a charger's own update check finds reaches the platform (UpdateAvailable, a UK
extension DataTransfer) and its REST API's firmware state; garbage is Rejected and not shown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web
from api_harness import user_client
from http_fixtures import http_server
from ocpp.v16 import call
from platform_harness import Platform
from test_chargepoint_against_platform import our_charge_point, until

from smartcharge.ocpp import uk_extension


async def test_our_chargers_update_check_reaches_the_firmware_state(
    platform: Platform, tmp_path: Path
) -> None:
    served = {"version": "9.9.9", "location": "https://updates.example.com/fw-9.9.9.bin"}

    async def latest(request: web.Request) -> web.Response:
        return web.json_response(served)

    runner, port = await http_server([web.get("/latest.json", latest)])
    password = await platform.add("SC-1")
    app = our_charge_point(
        platform,
        password,
        tmp_path,
        firmware={"update_url": f"http://127.0.0.1:{port}/latest.json"},
    )
    task = asyncio.ensure_future(app.run())
    try:
        async with user_client(platform, "op@example.org", "operator") as op:

            async def found() -> bool:
                r = await op.get("/api/chargers/SC-1/firmware")
                assert r.status_code == 200, r.text
                return r.json()["charger_found"] is not None

            await until(found, 30)
            state = (await op.get("/api/chargers/SC-1/firmware")).json()
        told = state["charger_found"]
        assert told["version"] == "9.9.9" and told["location"] == served["location"]
        assert told["running"] == app.config.firmware_version
        assert told["checked_at"] and told["received_at"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()


async def test_a_garbage_update_report_is_rejected_and_not_shown(
    platform: Platform, peers: object
) -> None:
    await platform.add("PEER-1")
    peer = await peers(platform, "PEER-1")  # type: ignore[operator]
    good = {"version": "3.0.0", "location": None, "checkedAt": "2026-06-01T10:00:00Z"}
    garbage = [
        "not json",
        "[]",
        json.dumps({**good, "version": ""}),
        json.dumps({**good, "version": "x" * 51}),
        json.dumps({**good, "location": "ftp://example.com/fw"}),
        json.dumps({**good, "checkedAt": "yesterday"}),
        json.dumps({k: v for k, v in good.items() if k != "checkedAt"}),
        json.dumps({**good, "running": 7}),
    ]
    for data in garbage:
        res = await peer.call(
            call.DataTransfer(
                vendor_id=uk_extension.VENDOR_ID,
                message_id=uk_extension.UPDATE_AVAILABLE,
                data=data,
            )
        )
        assert res.status == "Rejected", data
        assert "error" in json.loads(res.data)
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.get("/api/chargers/PEER-1/firmware")
        assert r.status_code == 200 and r.json()["charger_found"] is None
        res = await peer.call(
            call.DataTransfer(
                vendor_id=uk_extension.VENDOR_ID,
                message_id=uk_extension.UPDATE_AVAILABLE,
                data=json.dumps(good),
            )
        )
        assert res.status == "Accepted"
        await peer.call(
            call.DataTransfer(
                vendor_id=uk_extension.VENDOR_ID,
                message_id=uk_extension.UPDATE_AVAILABLE,
                data="[]",
            )
        )
        found = (await op.get("/api/chargers/PEER-1/firmware")).json()["charger_found"]
    assert found["version"] == "3.0.0"  # the last valid report, not the garbage after it
