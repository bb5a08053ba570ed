"""RpcEndpoint against a scripted peer (FakeTransport): every rule, frame by frame."""

import asyncio
import dataclasses
import importlib.resources
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.v16 import call, call_result

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    EndpointClosed,
    FormationViolation,
    InvalidResponse,
    NotImplementedAction,
    NotSupported,
    PropertyConstraintViolation,
    SecurityError,
    TypeConstraintViolation,
)
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.rpc_outbound import prepare_call
from smartcharge.ocpp.schemas import ACTIONS_TO_CENTRAL_SYSTEM, ACTIONS_TO_CHARGE_POINT
from smartcharge.sim.clock import ManualClock

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox 7"}
BOOT_RESULT = {"currentTime": "2024-06-01T12:00:00Z", "interval": 300, "status": "Accepted"}
HEARTBEAT_RESULT = {"currentTime": "2024-06-01T12:00:00Z"}


def boot_handler(seen: list[Any]) -> Any:
    async def on_boot(req: call.BootNotification) -> call_result.BootNotification:
        seen.append(req)
        return call_result.BootNotification(
            current_time="2024-06-01T12:00:00Z", interval=300, status="Accepted"
        )

    return on_boot


# --- inbound CALLs ---------------------------------------------------------------------------


async def test_typed_handler_gets_the_ocpp_dataclass_and_its_answer_is_sent(endpoints: Any) -> None:
    run = endpoints("CentralSystem")
    seen: list[Any] = []
    run.endpoint.route("BootNotification", boot_handler(seen))
    run.transport.feed([2, "b1", "BootNotification", {**BOOT, "firmwareVersion": "1.0"}])
    assert await run.transport.sent() == [3, "b1", BOOT_RESULT]
    assert seen == [
        call.BootNotification(
            charge_point_model="Wallbox 7", charge_point_vendor="Acme", firmware_version="1.0"
        )
    ]
    await run.stop()


async def test_typed_nested_payload_is_snake_cased_and_response_camel_cased(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    got: list[Any] = []

    def on_get_configuration(req: call.GetConfiguration) -> call_result.GetConfiguration:
        got.append(req)
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
            unknown_key=None,  # None fields are left out of the CALLRESULT
        )

    run.endpoint.route("GetConfiguration", on_get_configuration)  # a plain function works too
    run.transport.feed([2, "g1", "GetConfiguration", {"key": ["HeartbeatInterval"]}])
    assert await run.transport.sent() == [
        3,
        "g1",
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
    ]
    assert got == [call.GetConfiguration(key=["HeartbeatInterval"])]

    def on_set_profile(req: call.SetChargingProfile) -> call_result.SetChargingProfile:
        got.append(req)
        return call_result.SetChargingProfile(status="Accepted")

    run.endpoint.route("SetChargingProfile", on_set_profile)
    profile = {
        "chargingProfileId": 3,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
        },
    }
    run.transport.feed(
        [2, "s1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile}]
    )
    assert await run.transport.sent() == [3, "s1", {"status": "Accepted"}]
    assert got[-1].cs_charging_profiles["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 21.4}
    ]
    await run.stop()


async def test_raw_handler_gets_and_returns_camel_case_dicts(endpoints: Any) -> None:
    run = endpoints("CentralSystem")
    seen: list[Any] = []

    async def on_meter_values(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append(payload)
        return {}

    run.endpoint.route("MeterValues", on_meter_values, raw=True)
    payload = {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [{"timestamp": "2024-06-01T12:00:00Z", "sampledValue": [{"value": "5"}]}],
    }
    run.transport.feed([2, "m1", "MeterValues", payload])
    assert await run.transport.sent() == [3, "m1", {}]
    assert seen == [payload]
    await run.stop()


async def test_decorator_form(endpoints: Any) -> None:
    run = endpoints("CentralSystem")

    @run.endpoint.on("Heartbeat", raw=True)
    def heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
        return HEARTBEAT_RESULT

    run.transport.feed([2, "h1", "Heartbeat", {}])
    assert await run.transport.sent() == [3, "h1", HEARTBEAT_RESULT]
    assert heartbeat({}) == HEARTBEAT_RESULT  # the decorator hands the function back
    await run.stop()


async def test_route_refuses_unknown_and_wrong_direction_actions(endpoints: Any) -> None:
    ep = endpoints("CentralSystem").endpoint
    with pytest.raises(ValueError, match=r"not an OCPP 1\.6 action"):
        ep.route("FlyToTheMoon", lambda r: r)
    with pytest.raises(ValueError, match="does not receive Reset"):
        ep.route("Reset", lambda r: r)
    ep.route("DataTransfer", lambda r: r)  # both ways
    endpoints("ChargePoint").endpoint.route("DataTransfer", lambda r: r)
    with pytest.raises(ValueError):
        RpcEndpoint(object(), role="Router")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ([2, "x1", "FlyToTheMoon", {}], "NotImplemented"),
        ([2, "x1", "heartbeat", {}], "NotImplemented"),
        ([2, "x1", "Reset", {"type": "Hard"}], "NotSupported"),  # a CS does not receive Reset
        ([2, "x1", "StatusNotification", {}], "NotSupported"),  # known, no handler
        ([2, "x1", "BootNotification", {"chargePointVendor": "Acme"}], "ProtocolError"),
        ([2, "x1", "BootNotification", {**BOOT, "colour": "red"}], "FormationViolation"),
        ([2, "x1", "BootNotification", {**BOOT, "chargePointModel": 7}], "TypeConstraintViolation"),
        (
            [2, "x1", "BootNotification", {**BOOT, "chargePointVendor": "V" * 21}],
            "PropertyConstraintViolation",
        ),
        (
            [2, "x1", "MeterValues", {"connectorId": 1, "meterValue": []}],
            "OccurenceConstraintViolation",
        ),
        ([2, "x1", "BootNotification", []], "FormationViolation"),
        ([2, "x1", "BootNotification"], "FormationViolation"),
    ],
)
async def test_each_fault_in_a_call_gets_its_code_and_reaches_no_handler(
    endpoints: Any, frame: list[Any], code: str
) -> None:
    run = endpoints("CentralSystem")
    invoked: list[Any] = []
    run.endpoint.route("BootNotification", boot_handler(invoked))
    run.endpoint.route("MeterValues", lambda p: invoked.append(p) or {}, raw=True)
    run.transport.feed(frame)
    answer = await run.transport.sent()
    assert answer[:3] == [4, "x1", code]
    assert isinstance(answer[3], str) and answer[3]
    assert isinstance(answer[4], dict)
    assert invoked == []
    await run.stop()


@pytest.mark.parametrize(
    ("raw", "unique_id"),
    [
        ("garbage", "-1"),
        (b"\xc3\x28", "-1"),
        ("{}", "-1"),
        ("[]", "-1"),
        ('[2, 17, "Heartbeat", {}]', "-1"),
        ('[2, "' + "i" * 37 + '", "Heartbeat", {}]', "-1"),
        ('[2, "abc", "Heartbeat"]', "abc"),
        ('[2, "abc", 5, {}]', "abc"),
        ('[9, "abc", "Heartbeat", {}]', "abc"),
        ('["2", "abc", "Heartbeat", {}]', "abc"),
    ],
)
async def test_bad_frames_get_a_formation_violation_with_their_id_or_minus_one(
    endpoints: Any, raw: str | bytes, unique_id: str
) -> None:
    run = endpoints("CentralSystem")
    run.transport.feed(raw)
    answer = await run.transport.sent()
    assert answer[:3] == [4, unique_id, "FormationViolation"]
    assert answer[4] == {}
    await run.stop()


async def test_malformed_and_unsolicited_answers_are_ignored(
    endpoints: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smartcharge.ocpp")
    run = endpoints("CentralSystem")
    run.endpoint.route("Heartbeat", lambda p: HEARTBEAT_RESULT, raw=True)
    run.transport.feed(
        '[3, "r1"]',
        '[4, "r2", "GenericError"]',
        [3, "nobody-asked", {}],
        [4, "nobody-asked-either", "GenericError", "", {}],
        [2, "h1", "Heartbeat", {}],
    )
    # the first thing sent is the answer to the Heartbeat: nothing was said to the answers
    assert await run.transport.sent() == [3, "h1", HEARTBEAT_RESULT]
    assert await run.transport.nothing_more_sent()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("malformed answer ignored" in m for m in messages) == 2
    assert sum("answer for unknown id ignored" in m for m in messages) == 2
    await run.stop()


async def test_handler_ocpp_error_is_sent_with_its_code_description_and_details(
    endpoints: Any,
) -> None:
    run = endpoints("CentralSystem")

    async def refuse(req: call.Authorize) -> call_result.Authorize:
        raise SecurityError("tag blocked by operator", {"idTag": req.id_tag})

    run.endpoint.route("Authorize", refuse)
    run.transport.feed([2, "a1", "Authorize", {"idTag": "T1"}])
    assert await run.transport.sent() == [
        4,
        "a1",
        "SecurityError",
        "tag blocked by operator",
        {"idTag": "T1"},
    ]
    await run.stop()


async def test_handler_crash_is_an_internal_error_without_internals(
    endpoints: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, "smartcharge.ocpp")
    run = endpoints("CentralSystem")

    async def crash(req: call.Authorize) -> call_result.Authorize:
        raise RuntimeError("db password is hunter2")

    run.endpoint.route("Authorize", crash)
    run.transport.feed([2, "a1", "Authorize", {"idTag": "T1"}])
    answer = await run.transport.sent()
    assert answer[:3] == [4, "a1", "InternalError"]
    assert "hunter2" not in str(answer) and "RuntimeError" not in str(answer)
    (record,) = [r for r in caplog.records if "handler failed" in r.getMessage()]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert record.ocpp["action"] == "Authorize"  # type: ignore[attr-defined]
    # still serving
    run.endpoint.route("Heartbeat", lambda p: HEARTBEAT_RESULT, raw=True)
    run.transport.feed([2, "h1", "Heartbeat", {}])
    assert await run.transport.sent() == [3, "h1", HEARTBEAT_RESULT]
    await run.stop()


async def test_spontaneous_cancellation_inside_a_handler_does_not_stop_the_worker(
    endpoints: Any,
) -> None:
    run = endpoints("CentralSystem")

    async def cancelled(payload: dict[str, Any]) -> dict[str, Any]:
        raise asyncio.CancelledError

    run.endpoint.route("Heartbeat", cancelled, raw=True)
    run.transport.feed([2, "h1", "Heartbeat", {}])
    assert (await run.transport.sent())[:3] == [4, "h1", "InternalError"]
    run.endpoint.route("Heartbeat", lambda p: HEARTBEAT_RESULT, raw=True)
    run.transport.feed([2, "h2", "Heartbeat", {}])
    assert await run.transport.sent() == [3, "h2", HEARTBEAT_RESULT]
    await run.stop()


@pytest.mark.parametrize(
    ("raw", "handler"),
    [
        (False, lambda req: call_result.BootNotification("2024-06-01T12:00:00Z", 300, "Maybe")),
        (False, lambda req: call_result.BootNotification("yesterday", 300, "Accepted")),
        (False, lambda req: call_result.BootNotification("2024-06-01T12:00:00Z", 1.5, "Accepted")),
        (False, lambda req: call_result.Heartbeat("2024-06-01T12:00:00Z")),  # wrong action
        (False, lambda req: dict(BOOT_RESULT)),  # a typed route must return the dataclass
        (False, lambda req: None),
        (True, lambda req: {**BOOT_RESULT, "extra": 1}),
        (True, lambda req: {"status": "Accepted"}),  # incomplete
        (True, lambda req: [BOOT_RESULT]),
        (True, lambda req: {**BOOT_RESULT, "interval": {1, 2}}),  # not JSON at all
        (True, lambda req: {**BOOT_RESULT, "interval": float("nan")}),
        (True, lambda req: {**BOOT_RESULT, "currentTime": datetime(2024, 6, 1, tzinfo=UTC).date()}),
    ],
)
async def test_invalid_handler_response_is_replaced_by_internal_error(
    endpoints: Any, raw: bool, handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "smartcharge.ocpp")
    run = endpoints("CentralSystem")
    after: list[Any] = []
    run.endpoint.route(
        "BootNotification", handler, raw=raw, after=lambda req, res: after.append(res)
    )
    run.transport.feed([2, "b1", "BootNotification", BOOT])
    answer = await run.transport.sent()
    assert answer[:3] == [4, "b1", "InternalError"]
    assert any("invalid response" in r.getMessage() for r in caplog.records)
    assert after == []  # nothing was answered, so nothing follows
    await run.stop()


async def test_handler_responses_may_use_enums_and_decimals(endpoints: Any) -> None:
    import decimal

    from ocpp.v16.enums import ChargingRateUnitType, GetCompositeScheduleStatus

    run = endpoints("ChargePoint")

    def composite(req: call.GetCompositeSchedule) -> call_result.GetCompositeSchedule:
        return call_result.GetCompositeSchedule(
            status=GetCompositeScheduleStatus.accepted,
            connector_id=1,
            charging_schedule={
                "charging_rate_unit": ChargingRateUnitType.amps,
                "charging_schedule_period": [
                    {"start_period": 0, "limit": decimal.Decimal("21.4")},
                    {"start_period": 60, "limit": 7.7},
                ],
            },
        )

    run.endpoint.route("GetCompositeSchedule", composite)
    run.transport.feed([2, "c1", "GetCompositeSchedule", {"connectorId": 1, "duration": 60}])
    assert await run.transport.sent() == [
        3,
        "c1",
        {
            "status": "Accepted",
            "connectorId": 1,
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 21.4},
                    {"startPeriod": 60, "limit": 7.7},
                ],
            },
        },
    ]
    await run.stop()


async def test_inbound_calls_are_handled_one_at_a_time_in_arrival_order(endpoints: Any) -> None:
    run = endpoints("CentralSystem")
    release = asyncio.Event()
    log: list[str] = []

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        log.append(f"start {payload['idTag']}")
        if payload["idTag"] == "first":
            await release.wait()
        log.append(f"end {payload['idTag']}")
        return {"idTagInfo": {"status": "Accepted"}}

    run.endpoint.route("Authorize", slow, raw=True)
    run.transport.feed(
        [2, "1", "Authorize", {"idTag": "first"}],
        [2, "2", "Authorize", {"idTag": "second"}],
        "garbage",
    )
    assert await run.transport.nothing_more_sent()
    assert log == ["start first"]
    release.set()
    assert (await run.transport.sent())[:2] == [3, "1"]
    assert (await run.transport.sent())[:2] == [3, "2"]
    assert (await run.transport.sent())[:3] == [4, "-1", "FormationViolation"]
    assert log == ["start first", "end first", "start second", "end second"]
    await run.stop()


async def test_a_handler_can_call_the_peer_without_deadlock(endpoints: Any) -> None:
    run = endpoints("CentralSystem")

    async def on_boot(req: call.BootNotification) -> call_result.BootNotification:
        conf = await run.endpoint.call(call.GetConfiguration(key=["MeterValueSampleInterval"]))
        interval = int(conf.configuration_key[0]["value"])
        return call_result.BootNotification("2024-06-01T12:00:00Z", interval, "Accepted")

    run.endpoint.route("BootNotification", on_boot)
    run.transport.feed([2, "b1", "BootNotification", BOOT])
    outbound = await run.transport.sent()
    assert outbound[0] == 2 and outbound[2:] == [
        "GetConfiguration",
        {"key": ["MeterValueSampleInterval"]},
    ]
    run.transport.feed(
        [
            3,
            outbound[1],
            {
                "configurationKey": [
                    {"key": "MeterValueSampleInterval", "readonly": False, "value": "60"}
                ]
            },
        ]
    )
    assert await run.transport.sent() == [3, "b1", {**BOOT_RESULT, "interval": 60}]
    await run.stop()


# --- after-hooks -----------------------------------------------------------------------------


async def test_after_hook_runs_once_the_answer_is_sent_and_may_call(endpoints: Any) -> None:
    wire: list[str] = []
    run = endpoints(
        "ChargePoint",
        id_factory=lambda: "start-1",
        on_frame=lambda direction, text: wire.append(f"{direction} {text}"),
    )
    events: list[str] = []

    async def remote_start(
        req: call.RemoteStartTransaction,
    ) -> call_result.RemoteStartTransaction:
        events.append("handler")
        return call_result.RemoteStartTransaction(status="Accepted")

    async def then_start(
        req: call.RemoteStartTransaction, res: call_result.RemoteStartTransaction
    ) -> None:
        events.append(f"after, last sent: {wire[-1]}, status {res.status}")
        result = await run.endpoint.call(
            call.StartTransaction(
                connector_id=req.connector_id,
                id_tag=req.id_tag,
                meter_start=0,
                timestamp="2024-06-01T12:00:00Z",
            )
        )
        events.append(f"started {result.transaction_id}")

    run.endpoint.route("RemoteStartTransaction", remote_start, after=then_start)
    run.transport.feed([2, "rs", "RemoteStartTransaction", {"idTag": "T1", "connectorId": 1}])
    assert await run.transport.sent() == [3, "rs", {"status": "Accepted"}]
    assert await run.transport.sent() == [
        2,
        "start-1",
        "StartTransaction",
        {"connectorId": 1, "idTag": "T1", "meterStart": 0, "timestamp": "2024-06-01T12:00:00Z"},
    ]
    run.transport.feed([3, "start-1", {"transactionId": 42, "idTagInfo": {"status": "Accepted"}}])
    await asyncio.sleep(0.01)
    assert events == [
        "handler",
        'after, last sent: out [3,"rs",{"status":"Accepted"}], status Accepted',
        "started 42",
    ]
    await run.stop()


async def test_after_hook_failure_is_logged_and_the_endpoint_carries_on(
    endpoints: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, "smartcharge.ocpp")
    run = endpoints("ChargePoint")

    def boom(req: dict[str, Any], res: dict[str, Any]) -> None:
        raise RuntimeError("after went wrong")

    run.endpoint.route("Reset", lambda p: {"status": "Accepted"}, raw=True, after=boom)
    run.transport.feed([2, "r1", "Reset", {"type": "Soft"}], [2, "r2", "Reset", {"type": "Hard"}])
    assert await run.transport.sent() == [3, "r1", {"status": "Accepted"}]
    assert await run.transport.sent() == [3, "r2", {"status": "Accepted"}]
    await asyncio.sleep(0)
    assert sum("after-hook failed" in r.getMessage() for r in caplog.records) == 2
    await run.stop()


# --- outbound CALLs --------------------------------------------------------------------------


async def test_call_sends_the_dataclass_and_returns_the_result_dataclass(endpoints: Any) -> None:
    run = endpoints("ChargePoint", id_factory=lambda: "boot-1")
    task = asyncio.create_task(
        run.endpoint.call(
            call.BootNotification(charge_point_model="Wallbox 7", charge_point_vendor="Acme")
        )
    )
    assert await run.transport.sent() == [2, "boot-1", "BootNotification", BOOT]
    run.transport.feed([3, "boot-1", BOOT_RESULT])
    assert await task == call_result.BootNotification(
        current_time="2024-06-01T12:00:00Z", interval=300, status="Accepted"
    )
    await run.stop()


async def test_call_raw_with_a_chosen_unique_id_for_a_resend(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    task = asyncio.create_task(
        run.endpoint.call_raw("Heartbeat", {}, unique_id="outbox-17", timeout=1)
    )
    assert await run.transport.sent() == [2, "outbox-17", "Heartbeat", {}]
    run.transport.feed([3, "outbox-17", HEARTBEAT_RESULT])
    assert await task == HEARTBEAT_RESULT
    for bad in ("", "x" * 37):
        with pytest.raises(ValueError):
            await run.endpoint.call_raw("Heartbeat", {}, unique_id=bad)
    await run.stop()


async def test_call_error_is_raised_as_call_error(endpoints: Any) -> None:
    run = endpoints("ChargePoint", id_factory=lambda: "a1")
    task = asyncio.create_task(run.endpoint.call_raw("Authorize", {"idTag": "T1"}))
    await run.transport.sent()
    run.transport.feed([4, "a1", "SecurityError", "blocked", {"why": "stolen"}])
    with pytest.raises(CallError) as info:
        await task
    err = info.value
    assert (err.code, err.description, err.details, err.action, err.unique_id) == (
        "SecurityError",
        "blocked",
        {"why": "stolen"},
        "Authorize",
        "a1",
    )
    assert err.error_class is SecurityError
    await run.stop()


async def test_invalid_call_result_is_raised_as_invalid_response(endpoints: Any) -> None:
    run = endpoints("ChargePoint", id_factory=lambda: "b1")
    task = asyncio.create_task(run.endpoint.call_raw("BootNotification", BOOT))
    await run.transport.sent()
    run.transport.feed([3, "b1", {**BOOT_RESULT, "interval": "300"}])
    with pytest.raises(InvalidResponse) as info:
        await task
    assert info.value.action == "BootNotification"
    assert isinstance(info.value.error, TypeConstraintViolation)
    assert info.value.error.details == {"field": "interval"}
    await run.stop()


async def test_invalid_outbound_payload_raises_and_sends_nothing(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    ep = run.endpoint
    with pytest.raises(PropertyConstraintViolation):
        await ep.call_raw("BootNotification", {**BOOT, "chargePointVendor": "V" * 21})
    with pytest.raises(FormationViolation):
        await ep.call_raw("BootNotification", {**BOOT, "colour": "red"})
    with pytest.raises(FormationViolation):
        await ep.call_raw("BootNotification", {**BOOT, "firmwareVersion": object()})
    with pytest.raises(NotSupported):
        await ep.call_raw("Reset", {"type": "Hard"})  # a charge point does not send Reset
    with pytest.raises(NotImplementedAction):
        await ep.call_raw("FlyToTheMoon", {})
    with pytest.raises(PropertyConstraintViolation):
        await ep.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Sleeping")
        )
    with pytest.raises(TypeError):
        await ep.call(call_result.Heartbeat(current_time="2024-06-01T12:00:00Z"))
    assert await run.transport.nothing_more_sent()
    await run.stop()


async def test_a_prepared_call_is_checked_once_and_sent_to_many_endpoints(
    endpoints: Any,
) -> None:
    payload = {
        "vendorId": uk_extension.VENDOR_ID,
        "messageId": uk_extension.DSR_EVENT,
        "data": "{}",
    }
    prepared = prepare_call("DataTransfer", payload)
    runs = [endpoints("CentralSystem", id_factory=lambda n=n: f'id"{n}') for n in range(3)]
    tasks = [asyncio.create_task(r.endpoint.call_prepared(prepared, timeout=1)) for r in runs]
    for n, run in enumerate(runs):  # the same frame as call_raw's, only the id differs
        assert await run.transport.sent() == [2, f'id"{n}', "DataTransfer", payload]
        run.transport.feed([3, f'id"{n}', {"status": "Accepted" if n else "Rejected"}])
    assert [await t for t in tasks] == [
        {"status": "Rejected"},
        {"status": "Accepted"},
        {"status": "Accepted"},
    ]
    # Checked once, before anything is sent: a bad payload never becomes a PreparedCall.
    with pytest.raises(FormationViolation):
        prepare_call("DataTransfer", {**payload, "colour": "red"})
    with pytest.raises(NotImplementedAction):
        prepare_call("FlyToTheMoon", {})
    # Each endpoint still checks its own role, and its state.
    cp = endpoints("ChargePoint")
    with pytest.raises(NotSupported):
        await cp.endpoint.call_prepared(prepare_call("Reset", {"type": "Hard"}))
    assert await cp.transport.nothing_more_sent()
    await runs[0].endpoint.close()
    with pytest.raises(EndpointClosed):
        await runs[0].endpoint.call_prepared(prepared)
    for run in (*runs, cp):
        await run.stop()


async def test_one_outstanding_call_a_second_caller_waits_its_turn(endpoints: Any) -> None:
    ids = iter(["first", "second"])
    run = endpoints("ChargePoint", id_factory=lambda: next(ids))
    one = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    two = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    assert (await run.transport.sent())[1] == "first"
    assert await run.transport.nothing_more_sent()  # the second waits for the first's answer
    run.transport.feed([3, "first", {"currentTime": "2024-06-01T12:00:01Z"}])
    assert (await run.transport.sent())[1] == "second"
    run.transport.feed([3, "second", {"currentTime": "2024-06-01T12:00:02Z"}])
    assert await one == {"currentTime": "2024-06-01T12:00:01Z"}
    assert await two == {"currentTime": "2024-06-01T12:00:02Z"}
    await run.stop()


async def test_timeout_then_the_late_answer_is_ignored(
    endpoints: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "smartcharge.ocpp")
    ids = iter(["slow", "next"])
    run = endpoints("ChargePoint", id_factory=lambda: next(ids))
    with pytest.raises(CallTimeout) as info:
        await run.endpoint.call_raw("Heartbeat", {}, timeout=0.05)
    assert (info.value.action, info.value.unique_id, info.value.timeout) == (
        "Heartbeat",
        "slow",
        0.05,
    )
    await run.transport.sent()
    # the next call goes out; the late answer to the first must not be taken for it
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    assert (await run.transport.sent())[1] == "next"
    run.transport.feed([3, "slow", {"currentTime": "2024-06-01T00:00:00Z"}])
    await asyncio.sleep(0.01)
    assert not task.done()
    run.transport.feed([3, "next", HEARTBEAT_RESULT])
    assert await task == HEARTBEAT_RESULT
    assert any("late answer ignored" in r.getMessage() for r in caplog.records)
    await run.stop()


async def test_answer_for_unknown_id_does_not_resolve_the_pending_call(
    endpoints: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "smartcharge.ocpp")
    run = endpoints("ChargePoint", id_factory=lambda: "mine")
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    await run.transport.sent()
    run.transport.feed([3, "yours", {"currentTime": "2024-06-01T00:00:00Z"}])
    run.transport.feed([4, "yours", "GenericError", "", {}])
    await asyncio.sleep(0.01)
    assert not task.done()
    run.transport.feed([3, "mine", HEARTBEAT_RESULT], [3, "mine", HEARTBEAT_RESULT])
    assert await task == HEARTBEAT_RESULT
    await asyncio.sleep(0.01)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("answer for unknown id ignored" in m for m in messages) >= 2
    await run.stop()


async def test_timeout_runs_on_the_injected_clock(endpoints: Any) -> None:
    clock = ManualClock(datetime(2024, 6, 1, tzinfo=UTC))
    run = endpoints("ChargePoint", sleep=clock.sleep, timeout=30.0)
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    await run.transport.sent()
    await clock.advance(29.9)
    assert not task.done()
    await clock.advance(0.2)
    with pytest.raises(CallTimeout):
        await task
    # and an answer in time wins against the clock
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    uid = (await run.transport.sent())[1]
    await clock.advance(10)
    run.transport.feed([3, uid, HEARTBEAT_RESULT])
    assert await task == HEARTBEAT_RESULT
    await run.stop()


# --- frames hook, closing ---------------------------------------------------------------------


async def test_on_frame_sees_every_frame_both_ways_and_cannot_break_the_endpoint(
    endpoints: Any,
) -> None:
    seen: list[tuple[str, str]] = []

    def record(direction: str, text: str) -> None:
        seen.append((direction, text))
        raise RuntimeError("a broken logger")

    run = endpoints("CentralSystem", on_frame=record)
    run.endpoint.route("Heartbeat", lambda p: HEARTBEAT_RESULT, raw=True)
    run.transport.feed('[2,"h1","Heartbeat",{}]', b"\xff")
    await run.transport.sent()
    await run.transport.sent()
    assert seen[0] == ("in", '[2,"h1","Heartbeat",{}]')
    assert seen[1] == ("in", "\ufffd")
    assert [d for d, _ in seen] == ["in", "in", "out", "out"]
    assert seen[2][1] == '[3,"h1",{"currentTime":"2024-06-01T12:00:00Z"}]'
    await run.stop()


async def test_transport_close_fails_pending_calls_and_serve_returns(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    await run.transport.sent()
    run.transport.hang_up()
    with pytest.raises(EndpointClosed):
        await task
    assert await asyncio.wait_for(run.task, 1) is None
    assert run.endpoint.closed
    with pytest.raises(EndpointClosed):
        await run.endpoint.call_raw("Heartbeat", {})


async def test_close_without_transport_close_stops_serve_cleanly(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    task = asyncio.create_task(run.endpoint.call_raw("Heartbeat", {}))
    await run.transport.sent()
    await run.endpoint.close()
    with pytest.raises(EndpointClosed):
        await task
    assert await asyncio.wait_for(run.task, 1) is None
    await run.endpoint.close()  # twice is fine


async def test_close_uses_the_transports_own_close(endpoints: Any) -> None:
    run = endpoints("ChargePoint", closable=True)
    transport = run.transport
    await asyncio.sleep(0)
    await run.endpoint.close()
    assert transport.close_calls == 1
    assert await asyncio.wait_for(run.task, 1) is None


async def test_close_from_inside_a_handler(endpoints: Any) -> None:
    run = endpoints("ChargePoint", closable=True)

    async def reset(payload: dict[str, Any]) -> dict[str, Any]:
        await run.endpoint.close()
        return {"status": "Accepted"}

    run.endpoint.route("Reset", reset, raw=True)
    run.transport.feed([2, "r1", "Reset", {"type": "Hard"}])
    assert await asyncio.wait_for(run.task, 1) is None


async def test_serve_waits_for_the_running_handler_and_drops_queued_calls(endpoints: Any) -> None:
    run = endpoints("CentralSystem")
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        handled.append(payload["idTag"])
        return {"idTagInfo": {"status": "Accepted"}}

    run.endpoint.route("Authorize", slow, raw=True)
    run.transport.feed(
        [2, "1", "Authorize", {"idTag": "in progress"}],
        [2, "2", "Authorize", {"idTag": "queued"}],
    )
    await asyncio.sleep(0.01)
    run.transport.hang_up()
    await asyncio.sleep(0.01)
    assert not run.task.done()  # the handler in progress is allowed to finish
    release.set()
    assert await asyncio.wait_for(run.task, 1) is None
    assert handled == ["in progress"]


async def test_cancelling_serve_cancels_the_worker_and_after_hooks(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    hook_cancelled = asyncio.Event()

    async def forever(req: dict[str, Any], res: dict[str, Any]) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            hook_cancelled.set()
            raise

    run.endpoint.route("Reset", lambda p: {"status": "Accepted"}, raw=True, after=forever)
    run.transport.feed([2, "r1", "Reset", {"type": "Soft"}])
    await run.transport.sent()
    await asyncio.sleep(0)
    run.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run.task
    assert hook_cancelled.is_set()
    assert run.endpoint.closed


async def test_serve_twice_is_refused(endpoints: Any) -> None:
    run = endpoints("ChargePoint")
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await run.endpoint.serve()
    await run.stop()
    with pytest.raises(EndpointClosed):
        await run.endpoint.serve()


async def test_binary_frames_are_read_like_text(endpoints: Any) -> None:
    run = endpoints("CentralSystem")
    run.endpoint.route("Heartbeat", lambda p: HEARTBEAT_RESULT, raw=True)
    run.transport.feed(b'[2,"h1","Heartbeat",{}]')
    assert await run.transport.sent() == [3, "h1", HEARTBEAT_RESULT]
    await run.stop()


async def test_a_transport_bug_in_recv_propagates_and_fails_pending_calls() -> None:
    class Broken:
        def __init__(self) -> None:
            self.fail = asyncio.Event()
            self.sent: list[str] = []

        async def send(self, message: str) -> None:
            self.sent.append(message)

        async def recv(self) -> str:
            await self.fail.wait()
            raise RuntimeError("transport bug")

    transport = Broken()
    ep = RpcEndpoint(transport, role="ChargePoint")
    serving = asyncio.create_task(ep.serve())
    pending = asyncio.create_task(ep.call_raw("Heartbeat", {}))
    await asyncio.sleep(0)
    assert len(transport.sent) == 1
    transport.fail.set()
    with pytest.raises(RuntimeError, match="transport bug"):
        await serving
    with pytest.raises(EndpointClosed):
        await pending


@pytest.mark.parametrize("action", sorted(ACTIONS_TO_CHARGE_POINT | ACTIONS_TO_CENTRAL_SYSTEM))
def test_typed_conversion_maps_every_schema_property_to_a_dataclass_field(action: str) -> None:
    # Guards the typed routes against an `ocpp` upgrade that renames a field: every top-level
    # property converts to a field of the dataclass and back to the same camelCase name.
    folder = importlib.resources.files("ocpp.v16") / "schemas"
    for module, name in ((call, f"{action}.json"), (call_result, f"{action}Response.json")):
        properties = orjson.loads((folder / name).read_bytes()).get("properties", {})
        fields = {f.name for f in dataclasses.fields(getattr(module, action))}
        assert {camel_to_snake_case({k: 0}).popitem()[0] for k in properties} == fields
        for key in properties:
            snake = camel_to_snake_case({key: 0}).popitem()[0]
            assert snake_to_camel_case({snake: 0}).popitem()[0] == key
