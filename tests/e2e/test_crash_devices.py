"""kill -9 of the charge point process while one of its Modbus reads is in flight loses nothing:
the charger runs on its real drivers (`smartcharge chargepoint run` with `[hardware] kind =
"devices"`) against SDM630 meters and EVSE-DIN boards served over Modbus TCP by this test; each
round kills it with a meter read unanswered, and a last clean run delivers the outbox. Every
session reaches the central system exactly once, and no energy register it reports goes back."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from cp_harness import RESENDABLE, last_clean_run, start_process
from csms_peer import CentralSystemPeer
from ocpp.v16 import call

from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.ocpp import uk_extension
from smartcharge.sim.clock import SimulatedClock

ROUNDS = 4


def write_config(path: Path, url: str, data_dir: Path, host: str, meter: str) -> None:
    path.write_text(
        f"""identity = "KILL1"
csms_url = "{url}"
data_dir = "{data_dir}"

[security]
profile = 0

[simulator]
speed = 1

[ocpp]
reconnect_min_s = 0.5
reconnect_max_s = 2
call_timeout = 5

[hardware]
kind = "devices"
poll_interval_s = 0.1
[hardware.meter]
model = "sdm630"
host = "{meter}"
units = [1, 2]
[hardware.controller]
model = "evse-din"
host = "{host}"
units = [11, 12]
"""
    )


def status_of(peer: CentralSystemPeer, connector: int) -> str | None:
    """The connector's last status as the charger reported it."""
    reports = [
        m.payload["status"]
        for m in peer.of("StatusNotification")
        if m.payload["connector_id"] == connector
    ]
    return reports[-1] if reports else None


def energies(peer: CentralSystemPeer, tx: int) -> list[float]:
    out = []
    for m in peer.of("MeterValues"):
        if m.payload.get("transaction_id") != tx:
            continue
        for value in m.payload["meter_value"]:
            for sample in value["sampled_value"]:
                if sample.get("measurand", "Energy.Active.Import.Register").startswith("Energy"):
                    out.append(float(sample["value"]))
    return out


async def test_sigkill_during_a_modbus_read_loses_nothing(tmp_path: Path) -> None:
    peer = CentralSystemPeer()
    await peer.start()
    world = SimulatedHardware(SimulatedClock(None, 1.0), connectors=2)
    rig = DeviceRig(world)
    table = await rig.start()
    data_dir, cfg, log = tmp_path / "data", tmp_path / "cp.toml", tmp_path / "cp.log"
    write_config(cfg, peer.url, data_dir, table["controller"]["host"], table["meter"]["host"])
    meter = rig.meters[1]
    try:
        for round_no in range(ROUNDS):
            proc = await start_process(cfg, log)
            try:
                cp = await peer.wait_connected("KILL1", timeout=30)
                if round_no == 0:
                    for key, value in (("MeterValueSampleInterval", "1"),):
                        await cp.call(call.ChangeConfiguration(key=key, value=value))
                    # Real time may be peak time: the owner removed the default hours (R15).
                    await cp.call(
                        call.DataTransfer(
                            vendor_id=uk_extension.VENDOR_ID,
                            message_id=uk_extension.SET_DEFAULT_HOURS,
                            data='{"mode": "removed"}',
                        )
                    )
                    await cp.call(
                        call.ChangeConfiguration(key="RandomisedDelayMaxSeconds", value="0")
                    )
                    world.plug(1, battery_kwh=200, soc=10, max_power_w=11000)
                    # On a busy machine the first Modbus reads can time out and fault the
                    # connectors for a moment: start once the charger reports the plug.
                    await peer.wait_for(lambda: status_of(peer, 1) == "Preparing", timeout=30)
                    res = await cp.call(call.RemoteStartTransaction(id_tag="K1", connector_id=1))
                    assert res.status == "Accepted"
                await peer.wait_for(lambda: world.connector(1).contactor_closed(), timeout=30)
                mvs = len(peer.of("MeterValues")) + 2
                await peer.wait_for(lambda m=mvs: len(peer.of("MeterValues")) >= m, timeout=30)
                meter.hold()  # the next read of connector 1's meter is left unanswered
                await asyncio.wait_for(meter.read_waiting.wait(), 30)
            finally:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                meter.release()
            await peer.wait_for(lambda: "KILL1" not in peer.connected, timeout=10)
        await last_clean_run(cfg, log, data_dir / "chargepoint.sqlite", peer, "KILL1")
    finally:
        await rig.stop()
        await peer.stop()

    assert peer.errors == []
    assert all(d.action in RESENDABLE for d in peer.duplicates)
    with sqlite3.connect(data_dir / "chargepoint.sqlite") as db:
        sessions = db.execute(
            "SELECT transaction_id, meter_start_wh, meter_stop_wh FROM transactions "
            "ORDER BY local_id"
        ).fetchall()
    starts, stops = peer.of("StartTransaction"), peer.of("StopTransaction")
    assert len(sessions) >= 2 and len(starts) == len(sessions)  # each session exactly once
    assert len(stops) == len({s.payload["transaction_id"] for s in stops})
    previous_end = 0.0
    for tx, meter_start, meter_stop in sessions:
        values = energies(peer, tx)
        assert values == sorted(values), f"transaction {tx}: energy went back"
        assert meter_start >= previous_end - 1  # across the kills too
        if meter_stop is not None:
            assert all(v <= meter_stop for v in values)
            previous_end = meter_stop
