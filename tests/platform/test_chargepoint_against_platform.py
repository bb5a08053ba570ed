"""Our own charge point (`ChargePointApp`, in-process, security profile 1 with the password the
platform gave it) runs a session against the platform."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platform_harness import Platform
from sqlalchemy import select
from test_ocpp_server import refused
from waiting import until

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import parse_config
from smartcharge.chargepoint.security.provisioning import open_vault, provision
from smartcharge.clock import Clock
from smartcharge.platform.services.passwords import rotate_password
from smartcharge.platform.store.models import MeterValue, StatusEvent, Transaction


def our_charge_point(
    platform: Platform, password: str, tmp_path: Path, clock: Clock | None = None, **extra: Any
) -> ChargePointApp:
    # A provisioned charger whose vault holds the password the platform issued: the vault is
    # also where a rotated AuthorizationKey goes.
    factory = tmp_path / "factory"
    if not factory.exists():
        provision("SC-1", factory)
    open_vault(factory).put("basic_auth_password", password.encode())
    config = parse_config(
        {
            "identity": "SC-1",
            "csms_url": platform.url,
            "data_dir": str(tmp_path / "cp"),
            "security": {"profile": 1, "credentials_dir": str(factory)},
            "simulator": {"speed": 20, "start_time": "2026-06-01T12:00:00+00:00"},
            "ocpp": {"reconnect_min_s": 0.5, "reconnect_max_s": 2, "call_timeout": 5},
            **extra,
        },
        base_dir=tmp_path,
    )
    return ChargePointApp(config, clock=clock, rng=random.Random(7))


async def test_our_charge_point_completes_a_session(platform: Platform, tmp_path: Path) -> None:
    password = await platform.add("SC-1")
    await platform.store.id_tags.put("CARD", at=datetime.now(UTC))
    app = our_charge_point(platform, password, tmp_path)
    task = asyncio.ensure_future(app.run())
    store = platform.store

    async def rows(model: type, *where: object) -> list[object]:
        async with store.engine.connect() as conn:
            return list((await conn.execute(select(model).where(*where))).all())  # type: ignore[call-overload]

    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        await until(lambda: _booted(platform))
        await until(lambda: _nonempty(rows(StatusEvent, StatusEvent.status == "Available")))
        app.hardware.plug(1, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
        app.hardware.present_card("CARD")
        await until(lambda: _nonempty(rows(Transaction)))
        app.hardware.present_card("CARD")  # the same card stops it
        await until(lambda: _nonempty(rows(Transaction, Transaction.stopped_at.is_not(None))), 30)
        (tx,) = await rows(Transaction)
        assert tx.id_tag == "CARD" and tx.id_tag_status == "Accepted"  # type: ignore[attr-defined]
        assert tx.stop_reason == "Local" and not tx.unknown_transaction  # type: ignore[attr-defined]
        assert tx.meter_stop >= tx.meter_start  # type: ignore[attr-defined]
        # The stop's transactionData goes through the batched meter-value writer, which may
        # commit a moment after the stop row itself becomes visible: wait for it, don't race it.
        await until(
            lambda: _nonempty(rows(MeterValue, MeterValue.transaction_id == tx.id))  # type: ignore[attr-defined]
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_our_charge_point_takes_a_rotated_password(
    platform: Platform, tmp_path: Path
) -> None:
    old = await platform.add("SC-1")
    app = our_charge_point(platform, old, tmp_path)
    task = asyncio.ensure_future(app.run())
    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        before = await platform.store.chargers.credentials("SC-1")
        rotation = await rotate_password(platform.store, platform.app.ocpp.send, "SC-1", timeout=5)
        assert rotation.status == "Accepted"
        # It uses the new password from its next connection on: drop this one.
        await platform.app.ocpp.connections["SC-1"].endpoint.close()

        async def switched() -> bool:
            creds = await platform.store.chargers.credentials("SC-1")
            return creds is not None and creds.pending_password_hash is None

        await until(switched)
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        after = await platform.store.chargers.credentials("SC-1")
        assert after is not None and before is not None
        assert after.password_hash != before.password_hash
        assert await refused(platform, "SC-1", old) == 401
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _booted(platform: Platform) -> bool:
    charger = await platform.store.chargers.get("SC-1")
    return charger is not None and charger["booted_at"] is not None


async def _nonempty(rows: Awaitable[list[object]]) -> bool:
    return bool(await rows)
