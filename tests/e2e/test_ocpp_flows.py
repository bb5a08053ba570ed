"""OCPP 1.6 flows, end to end: our charge point against the `ocpp` package's central system.

Each test is named after the flow it exercises. The `peer` fixture fails any test in which the
independent central system found one of our messages invalid.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from cp_harness import MakeCP, Running
from csms_peer import CentralSystemPeer
from http_fixtures import http_server as _http_server
from http_fixtures import upload_route
from ocpp.v16 import call

from smartcharge.chargepoint.firmware_format import make_image


async def booted(make_cp: MakeCP, **kw: object) -> Running:
    cp = await make_cp(**kw)
    await cp.until(lambda: bool(cp.peer.of("BootNotification")))
    await cp.until_status(1, "Available")
    return cp


def plug(cp: Running, n: int = 1, soc: float = 30.0) -> None:
    cp.hw.plug(n, battery_kwh=50.0, soc=soc, max_power_w=11000.0)


async def test_boot_pending_then_accepted(make_cp: MakeCP, peer: CentralSystemPeer) -> None:
    peer.behaviour.boot_status = "Pending"
    peer.behaviour.boot_interval = 20  # simulated seconds
    cp = await make_cp(manual=True)  # the waits below are simulated seconds, not real ones
    # Connected (real time) before the clock moves: the first BootNotification is then in
    # flight, and each simulated second waits for what it sent to be answered.
    await peer.wait_connected(cp.identity, timeout=30)
    await cp.until(lambda: len(peer.of("BootNotification")) >= 2, timeout=60)
    # While Pending, the charge point sends nothing but BootNotification.
    assert {r.action for r in peer.received} == {"BootNotification"}
    # The central system may still configure it while Pending.
    result = await cp.call(call.GetConfiguration(key=["HeartbeatInterval"]))
    assert result.configuration_key[0]["key"] == "HeartbeatInterval"
    peer.behaviour.boot_status = "Accepted"
    peer.behaviour.boot_interval = 120
    await cp.until_status(1, "Available")
    assert peer.of("StatusNotification")[0].payload["connector_id"] == 0
    assert cp.app.station is not None
    assert cp.app.station.settings.int_value("HeartbeatInterval") == 120  # type: ignore[attr-defined]
    await cp.until(lambda: bool(peer.of("Heartbeat")), timeout=300)


async def test_remote_start_and_stop(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    plug(cp)
    await cp.until_status(1, "Preparing")
    res = await cp.call(call.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1))
    assert res.status == "Accepted"
    await cp.until_status(1, "Charging")
    start = cp.peer.of("StartTransaction")[0].payload
    assert start["id_tag"] == "REMOTE1" and start["connector_id"] == 1
    tx = cp.state(1)["transaction_id"]
    assert tx is not None
    await cp.until(lambda: cp.hw.snapshot()["connectors"]["1"]["power_w"] > 1000)
    res = await cp.call(call.RemoteStopTransaction(transaction_id=tx))
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("StopTransaction"))
    stop = cp.peer.of("StopTransaction")[0].payload
    assert stop["transaction_id"] == tx and stop["reason"] == "Remote"
    assert stop["meter_stop"] > start["meter_start"]
    contexts = [v["context"] for mv in stop["transaction_data"] for v in mv["sampled_value"]]
    assert contexts == ["Transaction.Begin", "Transaction.End"]
    await cp.until_status(1, "Finishing")
    cp.hw.unplug(1)
    await cp.until_status(1, "Available")
    # An unknown transaction cannot be stopped.
    res = await cp.call(call.RemoteStopTransaction(transaction_id=9999))
    assert res.status == "Rejected"


async def test_local_start_with_rfid(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    cp.peer.behaviour.accepted_tags = {"GOOD"}
    plug(cp, 2)
    cp.hw.present_card("BAD")
    await cp.until(lambda: bool(cp.peer.of("Authorize")))
    await cp.advance(10)  # ten simulated seconds, every CALL in them answered
    assert cp.peer.of("StartTransaction") == []
    cp.hw.present_card("GOOD")
    await cp.until_status(2, "Charging")
    assert cp.peer.of("StartTransaction")[0].payload["connector_id"] == 2
    # The same card stops it.
    cp.hw.present_card("GOOD")
    await cp.until(lambda: bool(cp.peer.of("StopTransaction")))
    stop = cp.peer.of("StopTransaction")[0].payload
    assert stop["reason"] == "Local" and stop["id_tag"] == "GOOD"


async def test_local_list_full_and_differential(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    res = await cp.call(
        call.SendLocalList(
            list_version=5,
            update_type="Full",
            local_authorization_list=[
                {"id_tag": "A", "id_tag_info": {"status": "Accepted"}},
                {"id_tag": "B", "id_tag_info": {"status": "Blocked"}},
            ],
        )
    )
    assert res.status == "Accepted"
    assert (await cp.call(call.GetLocalListVersion())).list_version == 5
    # A differential update must carry a newer version.
    stale = call.SendLocalList(
        list_version=5,
        update_type="Differential",
        local_authorization_list=[{"id_tag": "C", "id_tag_info": {"status": "Accepted"}}],
    )
    assert (await cp.call(stale)).status == "VersionMismatch"
    diff = call.SendLocalList(
        list_version=6,
        update_type="Differential",
        local_authorization_list=[
            {"id_tag": "C", "id_tag_info": {"status": "Accepted"}},
            {"id_tag": "A"},  # no idTagInfo: remove
        ],
    )
    assert (await cp.call(diff)).status == "Accepted"
    assert (await cp.call(call.GetLocalListVersion())).list_version == 6
    store = cp.app.station.store  # type: ignore[union-attr]
    assert store.local_list_entry("A") is None
    assert store.local_list_entry("C") == {"status": "Accepted"}
    assert store.local_list_entry("B") == {"status": "Blocked"}
    # Offline, a card from the local list still starts a session (R7).
    cp.hw.set_network(False)
    await cp.peer.wait_for(lambda: cp.identity not in cp.peer.connected)
    plug(cp)
    cp.hw.present_card("C")
    await cp.until(lambda: cp.state(1)["status"] == "Charging")


async def test_offline_transaction_then_reconnect(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    await cp.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="10"))
    await cp.call(call.ChangeConfiguration(key="AllowOfflineTxForUnknownId", value="true"))
    cp.hw.set_network(False)
    await cp.peer.wait_for(lambda: cp.identity not in cp.peer.connected)
    plug(cp)
    cp.hw.present_card("OFFLINE1")
    await cp.until(lambda: cp.state(1)["status"] == "Charging")
    assert cp.state(1)["transaction_id"] is None  # not known until the central system says
    await cp.advance(50)  # 50 simulated seconds: several MeterValues queued
    cp.hw.present_card("OFFLINE1")
    await cp.until(lambda: cp.state(1)["status"] == "Finishing")
    assert cp.peer.of("StartTransaction") == []
    cp.hw.set_network(True)
    await cp.until(lambda: bool(cp.peer.of("StopTransaction")), timeout=400)
    tx = cp.peer.tx_by_uid[cp.peer.of("StartTransaction")[0].unique_id]
    values = cp.peer.of("MeterValues")
    assert len(values) >= 3
    # The real transaction id was patched into every message queued while offline.
    assert all(v.payload["transaction_id"] == tx for v in values)
    assert cp.peer.of("StopTransaction")[0].payload["transaction_id"] == tx
    order = [
        r.action
        for r in cp.peer.received
        if r.action in ("StartTransaction", "MeterValues", "StopTransaction")
    ]
    assert order[0] == "StartTransaction" and order[-1] == "StopTransaction"


async def test_hard_reset_during_transaction(make_cp: MakeCP) -> None:
    await _reset_during_transaction(make_cp, "Hard", "HardReset")


async def test_soft_reset_during_transaction(make_cp: MakeCP) -> None:
    await _reset_during_transaction(make_cp, "Soft", "SoftReset")


async def _reset_during_transaction(make_cp: MakeCP, kind: str, reason: str) -> None:
    cp = await booted(make_cp)
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="R", connector_id=1))
    await cp.until_status(1, "Charging")
    boots = len(cp.peer.of("BootNotification"))
    assert (await cp.call(call.Reset(type=kind))).status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("StopTransaction"))
    assert cp.peer.of("StopTransaction")[0].payload["reason"] == reason
    await cp.peer.wait_for(lambda: len(cp.peer.of("BootNotification")) > boots)
    assert cp.app.boots == 2


async def test_unlock_connector(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="U", connector_id=1))
    await cp.until_status(1, "Charging")
    res = await cp.call(call.UnlockConnector(connector_id=1))
    assert res.status == "Unlocked"
    await cp.peer.wait_for(lambda: cp.peer.of("StopTransaction"))
    assert cp.peer.of("StopTransaction")[0].payload["reason"] == "UnlockCommand"


async def test_change_availability_with_transaction_running(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="AV", connector_id=1))
    await cp.until_status(1, "Charging")
    res = await cp.call(call.ChangeAvailability(connector_id=1, type="Inoperative"))
    assert res.status == "Scheduled"
    assert cp.state(1)["status"] == "Charging"
    res2 = await cp.call(call.ChangeAvailability(connector_id=2, type="Inoperative"))
    assert res2.status == "Accepted"
    await cp.until_status(2, "Unavailable")
    tx = cp.state(1)["transaction_id"]
    await cp.call(call.RemoteStopTransaction(transaction_id=tx))
    cp.hw.unplug(1)
    await cp.until_status(1, "Unavailable")
    # Availability survives a reboot.
    boots = len(cp.peer.of("BootNotification"))
    await cp.call(call.Reset(type="Soft"))
    await cp.until(lambda: cp.app.boots == 2 and cp.app.station is not None)
    await cp.until(lambda: cp.state(1)["status"] == "Unavailable")
    # The next command must go over the new connection, not the one the reset is closing.
    await cp.until(lambda: len(cp.peer.of("BootNotification")) > boots)
    assert (
        await cp.call(call.ChangeAvailability(connector_id=1, type="Operative"))
    ).status == "Accepted"
    await cp.until_status(1, "Available")


async def test_reservation(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    res = await cp.call(
        call.ReserveNow(
            connector_id=1, expiry_date="2026-06-01T12:00:00Z", id_tag="RES", reservation_id=11
        )
    )
    assert res.status == "Accepted"
    await cp.until_status(1, "Reserved")
    # Someone else's card does not get connector 1: it is offered connector 2.
    cp.hw.present_card("OTHER")
    await cp.until_status(2, "Preparing")
    plug(cp)
    await cp.advance(10)  # ten simulated seconds, every CALL in them answered
    assert cp.state(1)["status"] == "Preparing"
    assert cp.peer.of("StartTransaction") == []
    cp.hw.unplug(1)
    # The reserving card does, and the reservation id goes with the start.
    plug(cp)
    cp.hw.present_card("RES")
    await cp.until_status(1, "Charging")
    start = next(s for s in cp.peer.of("StartTransaction") if s.payload["id_tag"] == "RES")
    assert start.payload["reservation_id"] == 11
    # Occupied connectors cannot be reserved; a reservation can be cancelled.
    busy = await cp.call(
        call.ReserveNow(
            connector_id=1, expiry_date="2026-06-01T12:00:00Z", id_tag="X", reservation_id=12
        )
    )
    assert busy.status == "Occupied"
    # OTHER never plugged in: ConnectionTimeOut (120 s) frees connector 2.
    await cp.until_status(2, "Available", timeout=180)
    ok = await cp.call(
        call.ReserveNow(
            connector_id=2, expiry_date="2026-06-01T12:00:00Z", id_tag="X", reservation_id=13
        )
    )
    assert ok.status == "Accepted"
    assert (await cp.call(call.CancelReservation(reservation_id=13))).status == "Accepted"
    assert (await cp.call(call.CancelReservation(reservation_id=13))).status == "Rejected"
    await cp.until_status(2, "Available")


async def test_firmware_update_download(make_cp: MakeCP, caplog: pytest.LogCaptureFixture) -> None:
    image = make_image("9.9.9")

    async def serve_image(request: web.Request) -> web.Response:
        return web.Response(body=image)

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    runner, port = await _http_server(
        [web.get("/fw.bin", serve_image), web.get("/missing.bin", missing)]
    )
    try:
        # A lab's setting: this image is unsigned (security/weakening.py; refused by default).
        cp = await booted(make_cp, security={"profile": 0, "allow_unsigned_firmware": True})
        assert "SECURITY WARNING: security.allow_unsigned_firmware = true" in caplog.text
        await cp.call(
            call.UpdateFirmware(
                location=f"http://127.0.0.1:{port}/missing.bin",
                retrieve_date="2026-01-01T00:00:00Z",
                retries=1,
                retry_interval=5,
            )
        )
        fw = lambda: [r.payload["status"] for r in cp.peer.of("FirmwareStatusNotification")]  # noqa: E731
        await cp.until(lambda: "DownloadFailed" in fw())
        assert fw() == ["Downloading", "DownloadFailed"]
        await cp.call(
            call.UpdateFirmware(
                location=f"http://127.0.0.1:{port}/fw.bin", retrieve_date="2026-01-01T00:00:00Z"
            )
        )
        await cp.until(lambda: "Installed" in fw(), timeout=30)
        assert fw()[2:] == ["Downloading", "Downloaded", "Installing", "Installed"]
        boot = cp.peer.of("BootNotification")[-1].payload
        assert boot["firmware_version"] == "9.9.9"
    finally:
        await runner.cleanup()


async def test_R29_unsigned_firmware_is_refused_by_default(make_cp: MakeCP) -> None:
    """No manufacturer root configured and no lab setting: an unsigned image is still refused."""
    image = make_image("9.9.9")

    async def serve_image(request: web.Request) -> web.Response:
        return web.Response(body=image)

    runner, port = await _http_server([web.get("/fw.bin", serve_image)])
    try:
        cp = await booted(make_cp)
        await cp.call(
            call.UpdateFirmware(
                location=f"http://127.0.0.1:{port}/fw.bin", retrieve_date="2026-01-01T00:00:00Z"
            )
        )
        fw = lambda: [r.payload["status"] for r in cp.peer.of("FirmwareStatusNotification")]  # noqa: E731
        await cp.until(lambda: "InstallationFailed" in fw(), timeout=30)
        assert fw() == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
        boot = cp.peer.of("BootNotification")[-1].payload
        assert boot["firmware_version"] != "9.9.9"
    finally:
        await runner.cleanup()


async def test_diagnostics_upload(make_cp: MakeCP) -> None:
    uploads: list[tuple[str, bytes]] = []
    runner, port = await _http_server([upload_route("/upload", uploads)])
    try:
        cp = await booted(make_cp)
        res = await cp.call(call.GetDiagnostics(location=f"http://127.0.0.1:{port}/upload"))
        assert res.file_name and res.file_name.endswith(".tar.gz")
        diag = lambda: [r.payload["status"] for r in cp.peer.of("DiagnosticsStatusNotification")]  # noqa: E731
        await cp.until(lambda: "Uploaded" in diag())
        assert diag() == ["Uploading", "Uploaded"]
        assert uploads[0][0] == res.file_name
        import io
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(uploads[0][1])) as tar:
            assert "status.json" in tar.getnames()
    finally:
        await runner.cleanup()


async def test_trigger_message(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    n_status = len(cp.peer.of("StatusNotification"))
    res = await cp.call(call.TriggerMessage(requested_message="StatusNotification", connector_id=2))
    assert res.status == "Accepted"
    await cp.until(lambda: len(cp.peer.of("StatusNotification")) > n_status)
    assert cp.peer.of("StatusNotification")[-1].payload["connector_id"] == 2
    for what in (
        "Heartbeat",
        "MeterValues",
        "BootNotification",
        "FirmwareStatusNotification",
        "DiagnosticsStatusNotification",
    ):
        before = len(cp.peer.received)
        assert (await cp.call(call.TriggerMessage(requested_message=what))).status == "Accepted"
        await cp.until(lambda n=before: len(cp.peer.received) > n)
    assert (
        await cp.call(call.TriggerMessage(requested_message="Heartbeat", connector_id=7))
    ).status == "Rejected"


async def test_get_and_change_configuration(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    res = await cp.call(call.GetConfiguration(key=["NumberOfConnectors", "NoSuchKey"]))
    assert res.configuration_key == [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]
    assert res.unknown_key == ["NoSuchKey"]
    change = lambda k, v: cp.call(call.ChangeConfiguration(key=k, value=v))  # noqa: E731
    assert (await change("NumberOfConnectors", "4")).status == "Rejected"
    assert (await change("NoSuchKey", "1")).status == "NotSupported"
    assert (await change("MeterValueSampleInterval", "-5")).status == "Rejected"
    assert (
        await change("MeterValuesSampledData", "Energy.Active.Import.Register,Bogus")
    ).status == "Rejected"
    assert (await change("MeterValueSampleInterval", "1")).status == "Accepted"
    # Persisted across a reboot.
    await cp.call(call.Reset(type="Soft"))
    await cp.until(lambda: cp.app.boots == 2)
    await cp.peer.wait_for(lambda: len(cp.peer.of("BootNotification")) == 2)
    res = await cp.call(call.GetConfiguration(key=["MeterValueSampleInterval"]))
    assert res.configuration_key[0]["value"] == "1"


async def test_meter_values_every_second(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    await cp.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="1"))
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="MV", connector_id=1))
    await cp.until(lambda: len(cp.peer.of("MeterValues")) >= 10, timeout=100)
    mvs = cp.peer.of("MeterValues")
    stamps = [mv.payload["meter_value"][0]["timestamp"] for mv in mvs]
    assert stamps == sorted(stamps)
    measurands = {v["measurand"] for v in mvs[-1].payload["meter_value"][0]["sampled_value"]}
    assert {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "Current.Offered",
    } <= measurands
    # The simulated EV tells its state of charge; a Modbus meter cannot (a real Mode 3 charger
    # has no SoC), and a measurand the meter cannot measure is left out, not invented.
    wired = hasattr(cp.app.hardware, "world")
    assert ("SoC" in measurands) is not wired
    phases = {
        v.get("phase")
        for v in mvs[-1].payload["meter_value"][0]["sampled_value"]
        if v["measurand"] == "Current.Import"
    }
    assert phases == {"L1", "L2", "L3"}


async def test_minimum_status_duration_hides_short_blips(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    await cp.call(call.ChangeConfiguration(key="MinimumStatusDuration", value="60"))
    before = len(cp.peer.of("StatusNotification"))
    plug(cp)  # Preparing for 20 simulated seconds < 60
    await cp.advance(20)
    cp.hw.unplug(1)
    await cp.advance(80)  # 80 simulated seconds: anything due would have been sent
    assert len(cp.peer.of("StatusNotification")) == before
    plug(cp)  # this time it stays
    await cp.until_status(1, "Preparing", timeout=200)


async def test_clock_aligned_meter_values(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    await cp.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="0"))
    await cp.call(call.ChangeConfiguration(key="ClockAlignedDataInterval", value="60"))
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="AL", connector_id=1))
    await cp.until(lambda: len(cp.peer.of("MeterValues")) >= 2, timeout=400)
    aligned = [
        mv.payload["meter_value"][0]
        for mv in cp.peer.of("MeterValues")
        if mv.payload.get("transaction_id") is not None
    ]
    assert aligned
    for mv in aligned:
        assert {v["context"] for v in mv["sampled_value"]} == {"Sample.Clock"}
        assert mv["timestamp"].endswith(":00Z")  # on the minute: aligned to the clock


async def test_session_history_records_energy_and_rate_changes(make_cp: MakeCP) -> None:
    cp = await booted(make_cp, manual=True)
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="HIST", connector_id=1))
    await cp.until_status(1, "Charging")
    await cp.advance(20)  # 20 simulated seconds of charging
    cp.hw.present_card("HIST")
    await cp.until(lambda: bool(cp.peer.of("StopTransaction")))
    store = cp.app.station.store  # type: ignore[union-attr]
    (session,) = store.sessions()
    assert session.id_tag == "HIST" and session.stop_reason == "Local"
    assert session.energy_wh is not None and session.energy_wh > 0
    causes = [(limit, cause) for _, limit, cause in store.rate_changes(session.local_id)]
    # Plugged in on a Monday at 11:00 UK time: inside the default charging hours (R14).
    assert causes[0] == (32.0, "default_hours")
