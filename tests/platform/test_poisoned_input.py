"""What a charger can send that the schemas allow but nobody should store (issue 15, findings 4
and 5): a meter-value resend after a lost answer, non-finite and out-of-range numbers, connector
-1, a transaction id of 2^63, a UK-extension message without its fields, a megabyte of another
vendor's data. Each is refused with PropertyConstraintViolation (nothing stored) or recognised,
and the owner's pages keep working."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
from api_harness import UkPeer, add_user
from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from platform_harness import Peer, Platform, now_iso
from sqlalchemy import func, select

from smartcharge.ocpp import uk_extension
from smartcharge.platform.store.models import (
    DataTransferEvent,
    MeterValue,
    SecurityEvent,
    StatusEvent,
)

OpenPeer = Callable[..., Awaitable[Peer]]
pytestmark = pytest.mark.both_databases


async def rows(platform: Platform, model: Any) -> int:
    async with platform.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


def sample(value: str, at: str, **extra: str) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": at,
            "sampled_value": [
                {"value": value, "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "7000", "measurand": "Power.Active.Import", "unit": "W", **extra},
            ],
        }
    ]


async def refused_with(peer: Peer, request: Any) -> str:
    with pytest.raises(OCPPError) as info:
        await peer.call(request)
    return type(info.value).__name__


async def test_meter_values_sent_again_after_a_lost_answer_are_stored_once(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    at = now_iso()
    message = call.MeterValues(connector_id=1, transaction_id=7, meter_value=sample("1000", at))
    await peer.call(message)
    await peer.call(message)  # the answer was lost: the charger sends the same again
    assert await rows(platform, MeterValue) == 2
    # Three phases of one measurand at one time are three samples, not a resend.
    phases = [
        {"timestamp": at, "sampled_value": [{"value": "230", "measurand": "Voltage", "phase": p}]}
        for p in ("L1", "L2", "L3")
    ]
    await peer.call(call.MeterValues(connector_id=1, transaction_id=7, meter_value=phases))
    assert await rows(platform, MeterValue) == 5


async def test_a_security_event_sent_again_after_a_lost_answer_is_stored_once(
    platform: Platform, peers: OpenPeer
) -> None:
    """The charger queues security events and resends one whose answer it did not get."""
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    tamper = "TamperDetectionActivated"
    at, later = "2026-12-06T10:00:00Z", "2026-12-06T10:00:01Z"
    event = call.SecurityEventNotification(type=tamper, timestamp=at, tech_info=None)
    await peer.call(event)
    await peer.call(event)  # the answer was lost: the same again
    assert await rows(platform, SecurityEvent) == 1
    # Another time, or the same time with other information, is another event.
    await peer.call(call.SecurityEventNotification(tamper, later, None))
    await peer.call(call.SecurityEventNotification(type=tamper, timestamp=at, tech_info="x"))
    await peer.call(call.SecurityEventNotification(type=tamper, timestamp=at, tech_info="x"))
    assert await rows(platform, SecurityEvent) == 3


@pytest.mark.parametrize("poison", ["NaN", "Infinity", "-Infinity", "1e400", "12kWh", "1e13"])
async def test_a_meter_value_that_is_no_finite_number_is_refused_and_nothing_stored(
    platform: Platform, peers: OpenPeer, poison: str
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    bad = call.MeterValues(connector_id=1, transaction_id=7, meter_value=sample(poison, now_iso()))
    assert await refused_with(peer, bad) == "PropertyConstraintViolationError"
    assert await rows(platform, MeterValue) == 0  # not even the good value beside it
    await peer.call(call.Heartbeat())  # and the connection is still usable


async def test_connector_minus_one_and_transaction_two_to_the_63_are_refused(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    at = now_iso()
    for request in (
        call.MeterValues(connector_id=-1, meter_value=sample("1", at)),
        call.StatusNotification(connector_id=-1, error_code="NoError", status="Available"),
        call.MeterValues(connector_id=1, transaction_id=2**63, meter_value=sample("1", at)),
        call.StopTransaction(meter_stop=10, timestamp=at, transaction_id=2**63),
        call.StopTransaction(meter_stop=-5, timestamp=at, transaction_id=1),
    ):
        for _ in range(2):  # the same answer on a retry: never an InternalError
            assert await refused_with(peer, request) == "PropertyConstraintViolationError"
    assert await rows(platform, MeterValue) == 0
    assert await rows(platform, StatusEvent) == 0


async def test_a_random_delay_without_connector_is_rejected_and_the_owner_page_still_works(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1", owner="ann@example.org")
    password = await add_user(platform, "ann2@example.org", "owner")
    await platform.add("CP-2", owner="ann2@example.org")
    peer = await peers(platform, "CP-2", cls=UkPeer)
    await peer.call(
        call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
    )
    for data in ({"remainingS": 300}, {"connectorId": 1, "remainingS": "Infinity"}):
        answer = await peer.call(
            call.DataTransfer(
                vendor_id=uk_extension.VENDOR_ID,
                message_id=uk_extension.RANDOM_DELAY,
                data=orjson.dumps(data).decode(),
            )
        )
        assert answer.status == "Rejected"
    await peer.ws.close()  # offline: the page reads the charger's last announcement
    async with httpx.AsyncClient(base_url=platform.app.http.url, timeout=60) as client:
        login = {"email": "ann2@example.org", "password": password}
        assert (await client.post("/api/auth/login", json=login)).status_code == 200
        for _ in range(2):
            page = await client.get("/app/chargers/CP-2/live")
            assert page.status_code == 200, page.text[:300]


async def test_another_vendors_megabyte_is_not_stored_in_full(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    answer = await peer.call(
        call.DataTransfer(vendor_id="com.example", message_id="Blob", data="x" * 1_000_000)
    )
    assert answer.status == "UnknownVendorId"
    async with platform.store.engine.connect() as conn:
        stored = await conn.scalar(select(func.length(DataTransferEvent.data)))
    assert stored is not None and 0 < stored <= 8192
