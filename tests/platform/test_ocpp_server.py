"""The OCPP endpoint against the `ocpp` package's ChargePoint (an independent peer that checks
every CALLRESULT against the official schemas): sessions, authentication, lock-out, idempotent
starts, unknown stops, batched meter values, commands."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_harness import UkPeer
from ocpp.v16 import call
from platform_harness import MakePlatform, Peer, Platform, basic, now_iso
from sqlalchemy import event, func, select
from waiting import until
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.errors import CallError, CallTimeout, FormationViolation
from smartcharge.ocpp.times import format_time
from smartcharge.platform.ocpp_server import ChargerOffline
from smartcharge.platform.store.models import (
    FirmwareStatusEvent,
    LogStatusEvent,
    MeterValue,
    SecurityEvent,
    StatusEvent,
    Transaction,
)

OpenPeer = Callable[..., Awaitable[Peer]]


async def count(platform: Platform, model: Any, *where: Any) -> int:
    async with platform.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


_samples = itertools.count()


def meter_value(wh: int, w: float) -> list[dict[str, Any]]:
    """A new sample each call: its own time (the same time and value would be a resend, stored
    once: test_poisoned_input.py)."""
    at = datetime.now(UTC) + timedelta(milliseconds=next(_samples))
    return [
        {
            "timestamp": format_time(at),
            "sampled_value": [
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": str(w), "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
    ]


async def test_a_full_session(platform: Platform, peers: OpenPeer) -> None:
    await platform.add("CP-1", owner="owner@example.org")
    await platform.store.id_tags.put("CARD1", at=platform.app.ocpp._now())
    peer = await peers(platform, "CP-1")
    boot = await peer.call(
        call.BootNotification(
            charge_point_model="M1", charge_point_vendor="V", firmware_version="1.2.3"
        )
    )
    assert boot.status == "Accepted" and boot.interval == 300
    await peer.call(call.Heartbeat())
    await peer.call(
        call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
    )
    assert (await peer.call(call.Authorize(id_tag="CARD1"))).id_tag_info["status"] == "Accepted"
    assert (await peer.call(call.Authorize(id_tag="STRANGER"))).id_tag_info["status"] == "Invalid"
    start = await peer.call(
        call.StartTransaction(connector_id=1, id_tag="CARD1", meter_start=1000, timestamp=now_iso())
    )
    assert start.id_tag_info["status"] == "Accepted"
    tx = start.transaction_id
    for i in range(3):
        await peer.call(
            call.MeterValues(
                connector_id=1, transaction_id=tx, meter_value=meter_value(1000 + i, 7000)
            )
        )
    stop = await peer.call(
        call.StopTransaction(
            meter_stop=4000,
            timestamp=now_iso(),
            transaction_id=tx,
            reason="Local",
            id_tag="CARD1",
            transaction_data=meter_value(4000, 0),
        )
    )
    assert stop.id_tag_info["status"] == "Accepted"
    await peer.call(
        call.SecurityEventNotification(
            type="SettingSystemTime", timestamp=now_iso(), tech_info="ntp"
        )
    )
    await peer.call(call.FirmwareStatusNotification(status="Downloading"))
    await peer.call(call.SignedFirmwareStatusNotification(status="Installed", request_id=3))
    await peer.call(call.DiagnosticsStatusNotification(status="Uploaded"))
    await peer.call(call.LogStatusNotification(status="Uploading", request_id=4))
    assert (await peer.call(call.DataTransfer(vendor_id="x.y"))).status == "UnknownVendorId"

    charger = await platform.store.chargers.get("CP-1")
    assert charger is not None
    assert charger["model"] == "M1" and charger["firmware_version"] == "1.2.3"
    assert charger["connected_node"] == "test-node" and charger["owner_id"] is not None
    row = await platform.store.transactions.get(tx)
    assert row is not None
    assert (row["meter_start"], row["meter_stop"], row["stop_reason"]) == (1000, 4000, "Local")
    assert not row["unknown_transaction"]
    assert await count(platform, MeterValue, MeterValue.transaction_id == tx) == 8
    assert await count(platform, StatusEvent) == 1
    assert await count(platform, SecurityEvent) == 1
    assert await count(platform, FirmwareStatusEvent) == 2
    assert await count(platform, LogStatusEvent) == 2

    await peer.ws.close()
    await until(lambda: not platform.app.ocpp.is_connected("CP-1"), what="the platform to see it")
    charger = await platform.store.chargers.get("CP-1")
    assert charger is not None and charger["connected_node"] is None
    assert charger["last_seen_at"] is not None


async def refused(platform: Platform, identity: str, password: str | None) -> int:
    headers = basic(identity, password) if password is not None else {}
    with pytest.raises(InvalidStatus) as info:
        async with connect(
            f"{platform.url}/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
        ):
            pass
    return info.value.response.status_code


async def test_wrong_password_or_unknown_identity_is_401_before_the_upgrade(
    platform: Platform, peers: OpenPeer, caplog: pytest.LogCaptureFixture
) -> None:
    password = await platform.add("CP-1")
    caplog.set_level(logging.DEBUG)
    assert await refused(platform, "CP-1", "not-the-password-at-all") == 401
    assert await refused(platform, "NOBODY", password) == 401
    assert await refused(platform, "CP-1", None) == 401
    text = "\n".join(  # what the server logged (the test's own client logs its headers)
        r.getMessage() for r in caplog.records if not r.name.startswith("websockets.client")
    )
    assert "Authorization" in text  # websockets' DEBUG lines are there, masked
    assert "wrong password" in text and "unknown identity" in text
    assert password not in text and "not-the-password-at-all" not in text
    for pw in (password, "not-the-password-at-all"):
        for who in ("CP-1", "NOBODY"):
            assert basic(who, pw)["Authorization"].split()[1] not in text
    platform.clock.t += 61  # three failures locked the address out for 60 s
    peer = await peers(platform, "CP-1")
    await peer.call(call.Heartbeat())


async def test_repeated_failures_lock_the_address_out(platform: Platform, peers: OpenPeer) -> None:
    await platform.add("CP-1")
    for _ in range(3):  # lockout_failures = 3
        assert await refused(platform, "CP-1", "wrong-password-0123") == 401
    # Now even the right password is refused, until the lock-out (60 s) has passed.
    assert await refused(platform, "CP-1", platform.passwords["CP-1"]) == 429
    platform.clock.t += 61
    peer = await peers(platform, "CP-1")
    await peer.call(call.Heartbeat())


async def test_start_transaction_sent_again_gets_the_same_id(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    start = call.StartTransaction(connector_id=2, id_tag="T1", meter_start=10, timestamp=now_iso())
    first = await peer.call(start)
    # The charger crashed before it saw the answer: it reconnects and sends the same start.
    await peer.ws.close()
    again = await (await peers(platform, "CP-1")).call(start)
    assert again.transaction_id == first.transaction_id
    assert first.id_tag_info["status"] == "Invalid"  # T1 is not in the id-tag store
    assert await count(platform, Transaction) == 1


async def test_stop_of_an_unknown_transaction_is_accepted_and_flagged(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    result = await peer.call(
        call.StopTransaction(meter_stop=77, timestamp=now_iso(), transaction_id=123456)
    )
    assert result.id_tag_info is None
    async with platform.store.engine.connect() as conn:
        row = (await conn.execute(select(Transaction))).one()
    assert row.unknown_transaction and row.reported_id == 123456 and row.meter_stop == 77


async def test_meter_values_from_many_chargers_are_written_in_batches(
    platform: Platform, peers: OpenPeer
) -> None:
    n = 12
    connected = []
    for i in range(n):
        await platform.add(f"CP-{i}")
        connected.append(await peers(platform, f"CP-{i}"))
    commits = 0

    def counted(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    engine = platform.store.engine.sync_engine
    event.listen(engine, "commit", counted)

    async def send(peer: Peer) -> None:
        for k in range(4):
            await peer.call(call.MeterValues(connector_id=1, meter_value=meter_value(k, 1.0)))

    await asyncio.gather(*(send(p) for p in connected))
    event.remove(engine, "commit", counted)
    assert await count(platform, MeterValue) == n * 4 * 2
    # 48 messages, each acknowledged only once its rows were committed, in far fewer commits.
    assert commits < n * 4 / 3, commits


async def test_send_returns_the_answer_or_a_clear_error(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    server = platform.app.ocpp
    with pytest.raises(ChargerOffline):
        await server.send("CP-1", "GetConfiguration", {})
    peer = await peers(platform, "CP-1")
    await server.wait_connected("CP-1")
    answer = await server.send("CP-1", "GetConfiguration", {"key": ["HeartbeatInterval"]})
    assert answer["configurationKey"][0]["value"] == "300"
    with pytest.raises(CallError) as err:  # the peer has no Reset handler
        await server.send("CP-1", "Reset", {"type": "Soft"})
    assert err.value.code == "NotImplemented"
    peer.cp.silent = True
    with pytest.raises(CallTimeout):
        await server.send("CP-1", "GetConfiguration", {}, timeout=0.3)
    await peer.ws.close()
    await until(lambda: not server.is_connected("CP-1"), what="the platform to see it go")
    with pytest.raises(ChargerOffline):
        await server.send("CP-1", "GetConfiguration", {})


async def test_send_many_checks_once_and_answers_for_each_charger(
    platform: Platform, peers: OpenPeer
) -> None:
    server = platform.app.ocpp
    for identity in ("CP-1", "CP-2", "CP-3", "CP-OFF"):
        await platform.add(identity)
    opened = [await peers(platform, i, cls=UkPeer) for i in ("CP-1", "CP-2")]
    opened.append(await peers(platform, "CP-3"))  # the plain peer: no DataTransfer handler
    for i in ("CP-1", "CP-2", "CP-3"):
        await server.wait_connected(i)
    opened[1].cp.refuse.add("e1")  # type: ignore[attr-defined]
    event = {
        "vendorId": uk_extension.VENDOR_ID,
        "messageId": uk_extension.DSR_EVENT,
        "data": '{"id": "e1"}',
    }
    answers = await server.send_many(
        ["CP-1", "CP-2", "CP-3", "CP-OFF"], "DataTransfer", event, timeout=5
    )
    assert answers[0] == {"status": "Accepted"}
    assert isinstance(answers[1], dict) and answers[1]["status"] == "Rejected"
    assert isinstance(answers[2], CallError) and isinstance(answers[3], ChargerOffline)
    for peer in opened[:2]:  # each got the event once, under its own unique id
        assert peer.cp.received == [(uk_extension.DSR_EVENT, {"id": "e1"})]  # type: ignore[attr-defined]
    with pytest.raises(FormationViolation):  # checked before anything is sent
        await server.send_many(["CP-1"], "DataTransfer", {**event, "colour": "red"})
    assert len(opened[0].cp.received) == 1  # type: ignore[attr-defined]


async def test_a_second_connection_replaces_the_first(platform: Platform, peers: OpenPeer) -> None:
    await platform.add("CP-1")
    first = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    second = await peers(platform, "CP-1")
    await asyncio.wait_for(first.ws.wait_closed(), 5)
    await second.call(call.Heartbeat())
    assert platform.app.ocpp.is_connected("CP-1")


async def test_wrong_path_or_missing_subprotocol_is_refused(platform: Platform) -> None:
    password = await platform.add("CP-1")
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"ws://127.0.0.1:{platform.app.ocpp.port}/other/CP-1"):
            pass
    assert info.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{platform.url}/CP-1", additional_headers=basic("CP-1", password)):
            pass
    assert info.value.response.status_code == 400


async def test_postgresql_store_serves_chargers_too(
    database_url: str, make_platform: MakePlatform, peers: OpenPeer
) -> None:
    # database_url first: the platform must stop before its database is dropped.
    platform = await make_platform(database_url=database_url)
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    start = call.StartTransaction(connector_id=1, id_tag="T", meter_start=1, timestamp=now_iso())
    first, again = await peer.call(start), await peer.call(start)
    assert first.transaction_id == again.transaction_id
    await peer.call(call.MeterValues(connector_id=1, meter_value=meter_value(1, 2.0)))
    assert await count(platform, MeterValue) == 2
