"""Both roles over real websockets on loopback, against the `ocpp` package's own ChargePoint
class as the independent peer."""

import asyncio
import contextlib
import decimal
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import ocpp.exceptions
import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint as PackagePeer
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from waiting import until
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    PropertyConstraintViolation,
    SecurityError,
)
from smartcharge.ocpp.rpc import RpcEndpoint

OCPP16 = Subprotocol("ocpp1.6")
NOW = "2024-06-01T12:00:00Z"


def charging_profile(*limits: float, min_rate: float | None = None) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "charging_rate_unit": "A",
        "charging_schedule_period": [
            {"start_period": 3600 * i, "limit": limit} for i, limit in enumerate(limits)
        ],
    }
    if min_rate is not None:
        schedule["min_charging_rate"] = min_rate
    return {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": schedule,
    }


@contextlib.asynccontextmanager
async def websocket_server(
    handler: Callable[[ServerConnection], Awaitable[None]],
) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, subprotocols=[OCPP16]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/CP-1"


class Recording:
    """Wraps a connection and keeps every frame it carries, in order, as the peer saw it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.wire: list[tuple[str, str]] = []

    async def recv(self) -> Any:
        message = await self.connection.recv()
        self.wire.append(("in", message))
        return message

    async def send(self, message: str) -> None:
        self.wire.append(("out", message))
        await self.connection.send(message)


async def stop(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- our CentralSystem endpoint, the package's charge point -----------------------------------


class PackageChargePoint(PackagePeer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profiles: list[dict[str, Any]] = []

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> call_result.SetChargingProfile:
        self.profiles.append(cs_charging_profiles)
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.get_configuration)
    def on_get_configuration(self, **kwargs: Any) -> call_result.GetConfiguration:
        raise ocpp.exceptions.PropertyConstraintViolationError(description="no such key")

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        raise RuntimeError("the package's charge point fell over")

    @on(Action.reset)
    async def on_reset(self, type: str) -> call_result.Reset:
        await asyncio.sleep(0.3)
        return call_result.Reset(status="Accepted")


async def test_our_central_system_with_the_package_charge_point(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smartcharge.ocpp")
    accepted: asyncio.Future[RpcEndpoint] = asyncio.get_running_loop().create_future()
    our_wire: list[tuple[str, str]] = []
    served: list[Any] = []

    async def on_boot(req: call.BootNotification) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=NOW, interval=300, status="Accepted")

    async def on_authorize(req: call.Authorize) -> call_result.Authorize:
        raise SecurityError("tag blocked", {"idTag": req.id_tag})

    async def handler(ws: ServerConnection) -> None:
        assert ws.subprotocol == OCPP16
        ep = RpcEndpoint(
            ws,
            role="CentralSystem",
            timeout=2.0,
            on_frame=lambda d, t: our_wire.append((d, t)),
            name=ws.request.path if ws.request else "",
        )
        ep.route("BootNotification", on_boot)
        ep.route("Authorize", on_authorize)
        accepted.set_result(ep)
        served.append(await ep.serve())

    async with websocket_server(handler) as uri, connect(uri, subprotocols=[OCPP16]) as ws:
        cp = PackageChargePoint("CP-1", ws, response_timeout=2)
        reader = asyncio.create_task(cp.start())
        try:
            boot = await cp.call(
                call.BootNotification(charge_point_model="Wallbox 7", charge_point_vendor="Acme"),
                suppress=False,
            )
            assert boot == call_result.BootNotification(
                current_time=NOW, interval=300, status="Accepted"
            )
            ep = await accepted

            # decimal charging limits go through both validators intact
            result = await ep.call(
                call.SetChargingProfile(
                    connector_id=1, cs_charging_profiles=charging_profile(21.4, 7.7, min_rate=6.0)
                )
            )
            assert result == call_result.SetChargingProfile(status="Accepted")
            periods = cp.profiles[0]["charging_schedule"]["charging_schedule_period"]
            assert [p["limit"] for p in periods] == [
                decimal.Decimal("21.4"),
                decimal.Decimal("7.7"),
            ]
            assert '"limit":21.4' in our_wire[-2][1]

            # a limit with two decimals is refused before it leaves
            sent_before = len(our_wire)
            with pytest.raises(PropertyConstraintViolation):
                await ep.call(
                    call.SetChargingProfile(
                        connector_id=1, cs_charging_profiles=charging_profile(4.11)
                    )
                )
            assert len(our_wire) == sent_before

            # the peer's CALLERROR reaches our caller, with its code and description
            with pytest.raises(CallError) as info:
                await ep.call(call.GetConfiguration(key=["Nope"]))
            assert (info.value.code, info.value.description, info.value.action) == (
                "PropertyConstraintViolation",
                "no such key",
                "GetConfiguration",
            )
            with pytest.raises(CallError) as info:
                await ep.call(call.ClearCache())
            assert info.value.code == "InternalError"

            # our handler's OcppError reaches the peer
            with pytest.raises(ocpp.exceptions.SecurityError) as refused:
                await cp.call(call.Authorize(id_tag="T1"), suppress=False)
            assert refused.value.description == "tag blocked"
            assert refused.value.details == {"idTag": "T1"}
            # known action without a handler
            with pytest.raises(ocpp.exceptions.NotSupportedError):
                await cp.call(call.Heartbeat(), suppress=False)
            # an action a central system never receives
            with pytest.raises(ocpp.exceptions.NotSupportedError):
                await cp.call(call.ClearCache(), suppress=False)

            # timeout, then the late answer is ignored and the link still works
            with pytest.raises(CallTimeout):
                await ep.call(call.Reset(type="Soft"), timeout=0.1)
            await until(
                lambda: any("late answer ignored" in r.getMessage() for r in caplog.records)
            )
            result = await ep.call(
                call.SetChargingProfile(connector_id=1, cs_charging_profiles=charging_profile(16))
            )
            assert result.status == "Accepted"
        finally:
            await stop(reader)
    await asyncio.sleep(0.05)
    assert served == [None]  # serve() returned when the charge point hung up


# --- our ChargePoint endpoint, the package's central system -----------------------------------


class PackageCentralSystem(PackagePeer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[dict[str, Any]] = []

    @on(Action.boot_notification)
    def on_boot_notification(self, **kwargs: Any) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=NOW, interval=300, status="Accepted")

    @on(Action.start_transaction)
    def on_start_transaction(self, **kwargs: Any) -> call_result.StartTransaction:
        self.starts.append(kwargs)
        return call_result.StartTransaction(transaction_id=42, id_tag_info={"status": "Accepted"})

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        raise ocpp.exceptions.GenericError(description="directory offline")

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        await asyncio.sleep(0.3)
        return call_result.Heartbeat(current_time=NOW)


async def test_our_charge_point_with_the_package_central_system(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smartcharge.ocpp")
    central: asyncio.Future[tuple[PackageCentralSystem, Recording]] = (
        asyncio.get_running_loop().create_future()
    )

    async def handler(ws: ServerConnection) -> None:
        recording = Recording(ws)
        cs = PackageCentralSystem("CP-1", recording, response_timeout=2)
        central.set_result((cs, recording))
        with contextlib.suppress(ConnectionClosed):
            await cs.start()

    limits: list[float] = []
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_set_charging_profile(
        req: call.SetChargingProfile,
    ) -> call_result.SetChargingProfile:
        schedule = req.cs_charging_profiles["charging_schedule"]
        limits.extend(p["limit"] for p in schedule["charging_schedule_period"])
        limits.append(schedule["min_charging_rate"])
        return call_result.SetChargingProfile(status="Accepted")

    async def on_remote_start(
        req: call.RemoteStartTransaction,
    ) -> call_result.RemoteStartTransaction:
        return call_result.RemoteStartTransaction(status="Accepted")

    async def start_after_answering(
        req: call.RemoteStartTransaction, res: call_result.RemoteStartTransaction
    ) -> None:
        conf = await ep.call(
            call.StartTransaction(
                connector_id=req.connector_id, id_tag=req.id_tag, meter_start=0, timestamp=NOW
            )
        )
        started.set_result(conf.transaction_id)

    async def on_get_configuration(req: call.GetConfiguration) -> call_result.GetConfiguration:
        raise PropertyConstraintViolation("unknown key", {"key": req.key})

    async with websocket_server(handler) as uri, connect(uri, subprotocols=[OCPP16]) as ws:
        ep = RpcEndpoint(ws, role="ChargePoint", timeout=2.0, name="CP-1")
        ep.route("SetChargingProfile", on_set_charging_profile)
        ep.route("RemoteStartTransaction", on_remote_start, after=start_after_answering)
        ep.route("GetConfiguration", on_get_configuration)
        serving = asyncio.create_task(ep.serve())

        boot = await ep.call(
            call.BootNotification(charge_point_model="Wallbox 7", charge_point_vendor="Acme")
        )
        assert boot == call_result.BootNotification(
            current_time=NOW, interval=300, status="Accepted"
        )
        cs, recording = await central

        # decimal limits from the package's central system
        result = await cs.call(
            call.SetChargingProfile(
                connector_id=1, cs_charging_profiles=charging_profile(21.4, 7.7, min_rate=6.1)
            ),
            suppress=False,
        )
        assert result == call_result.SetChargingProfile(status="Accepted")
        assert limits == [21.4, 7.7, 6.1]
        # a limit with two decimals (package validation off) is refused with the right code
        with pytest.raises(ocpp.exceptions.PropertyConstraintViolationError):
            await cs.call(
                call.SetChargingProfile(
                    connector_id=1, cs_charging_profiles=charging_profile(4.11)
                ),
                suppress=False,
                skip_schema_validation=True,
            )
        assert limits == [21.4, 7.7, 6.1]  # the handler never saw it

        # RemoteStartTransaction: the answer goes out before the after-hook starts the session
        answer = await cs.call(
            call.RemoteStartTransaction(id_tag="T1", connector_id=1), suppress=False
        )
        assert answer == call_result.RemoteStartTransaction(status="Accepted")
        assert await asyncio.wait_for(started, 2) == 42
        assert cs.starts == [
            {"connector_id": 1, "id_tag": "T1", "meter_start": 0, "timestamp": NOW}
        ]
        inbound = [text for direction, text in recording.wire if direction == "in"]
        remote_start_id = next(
            t.split('"')[1] for d, t in recording.wire if d == "out" and "RemoteStart" in t
        )
        answered_at = next(
            i for i, t in enumerate(inbound) if t.startswith(f'[3,"{remote_start_id}"')
        )
        start_at = next(i for i, t in enumerate(inbound) if '"StartTransaction"' in t)
        assert answered_at < start_at

        # CALLERRORs both ways
        with pytest.raises(CallError) as info:
            await ep.call(call.Authorize(id_tag="T1"))
        assert (info.value.code, info.value.description) == ("GenericError", "directory offline")
        with pytest.raises(ocpp.exceptions.PropertyConstraintViolationError) as refused:
            await cs.call(call.GetConfiguration(key=["Nope"]), suppress=False)
        assert refused.value.description == "unknown key"
        with pytest.raises(ocpp.exceptions.NotSupportedError):
            await cs.call(call.ClearCache(), suppress=False)  # no handler

        # timeout, late answer ignored, still working
        with pytest.raises(CallTimeout):
            await ep.call(call.Heartbeat(), timeout=0.1)
        await until(lambda: any("late answer ignored" in r.getMessage() for r in caplog.records))
        boot = await ep.call(
            call.BootNotification(charge_point_model="Wallbox 7", charge_point_vendor="Acme")
        )
        assert boot.status == "Accepted"

        await ep.close()
        assert await asyncio.wait_for(serving, 2) is None
