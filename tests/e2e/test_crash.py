"""Nothing is lost: SIGKILL the charge point process at random instants, online and offline,
across many sessions, restart it, and check what the central system ends up with.

Each round starts `smartcharge chargepoint run` as a real process, drives it through the
simulator's HTTP control API (plug, RFID, network cut) and kills it after a random delay. At the
end the process runs once more until its outbox is empty. Then:
- every session the charger recorded reached the central system exactly once (a resend after a
  kill carries the same message id, which the central system recognises);
- every StopTransaction matches a StartTransaction, and each transaction's MeterValues are in
  time order, between its start and stop, with an energy register that never goes down.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
from pathlib import Path

import pytest
from cp_harness import control, free_port, start_process, write_process_config
from csms_peer import CentralSystemPeer
from ocpp.v16 import call

from smartcharge.ocpp import uk_extension

ALL_ROUNDS = int(os.environ.get("SMARTCHARGE_CRASH_ROUNDS", "14"))
SEED = int(os.environ.get("SMARTCHARGE_CRASH_SEED", "2021"))
# The rounds run as two independent chargers with their own seeds, so that two test workers
# share them: the same number of kills in all, in half the wall time.
RUNS = 2
ROUNDS = max(1, -(-ALL_ROUNDS // RUNS))


@pytest.mark.parametrize("run", range(RUNS))
async def test_sigkill_at_random_points_loses_nothing(tmp_path: Path, run: int) -> None:
    rng = random.Random(SEED + run)
    peer = CentralSystemPeer()
    await peer.start()
    # A slow central system widens the window in which a message was received but its answer
    # never reached the charger: a kill there must cause a resend with the same message id.
    peer.behaviour.answer_delay = 0.15
    data_dir = tmp_path / "data"
    cfg = tmp_path / "cp.toml"
    log = tmp_path / "cp.log"
    port = free_port()
    write_process_config(cfg, identity="CRASH1", url=peer.url, data_dir=data_dir, control_port=port)
    try:
        configured = False
        for round_no in range(ROUNDS):
            proc = await start_process(cfg, log)
            try:
                await peer.wait_connected("CRASH1", timeout=30)
                if not configured:
                    cp = peer.connected["CRASH1"]
                    await cp.call(
                        call.ChangeConfiguration(key="MeterValueSampleInterval", value="1")
                    )
                    await cp.call(
                        call.ChangeConfiguration(key="AllowOfflineTxForUnknownId", value="true")
                    )
                    # Real time may be peak time: the owner removes the default hours (R15) so
                    # that every round charges, and wants no random delay.
                    await cp.call(
                        call.ChangeConfiguration(key="RandomisedDelayMaxSeconds", value="0")
                    )
                    await cp.call(
                        call.DataTransfer(
                            vendor_id=uk_extension.VENDOR_ID,
                            message_id=uk_extension.SET_DEFAULT_HOURS,
                            data='{"mode": "removed"}',
                        )
                    )
                    configured = True
                offline = rng.random() < 0.4
                if offline:
                    await control(port, "POST", "/network", {"up": False})
                n = rng.choice([1, 2])
                await control(
                    port,
                    "POST",
                    f"/connectors/{n}/plug",
                    {"battery_kwh": 40, "soc": 30, "max_power_w": 7400},
                )
                await control(port, "POST", "/rfid", {"id_tag": f"T{round_no}"})
                await asyncio.sleep(rng.uniform(1.0, 4.0))
                if rng.random() < 0.5:
                    await control(port, "POST", "/rfid", {"id_tag": f"T{round_no}"})  # stop
                    await asyncio.sleep(rng.uniform(0.0, 0.3))
                if offline and rng.random() < 0.5:
                    await control(port, "POST", "/network", {"up": True})
                    await asyncio.sleep(rng.uniform(0.0, 0.5))
            finally:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
            await peer.wait_for(lambda: "CRASH1" not in peer.connected, timeout=10)
        # A last, clean run delivers everything left in the outbox.
        proc = await start_process(cfg, log)
        db_path = data_dir / "chargepoint.sqlite"
        try:

            def drained() -> bool:
                with sqlite3.connect(db_path) as db:
                    left = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
                    unstopped = db.execute(
                        "SELECT count(*) FROM transactions WHERE stopped_at IS NULL"
                    ).fetchone()[0]
                return left == 0 and unstopped == 0

            await peer.wait_for(drained, timeout=60)
        finally:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
    finally:
        await peer.stop()

    assert peer.errors == []
    # Resends only ever repeat a message id the central system has already seen.
    assert all(
        d.action
        in ("StartTransaction", "StopTransaction", "MeterValues", "SecurityEventNotification")
        for d in peer.duplicates
    )

    with sqlite3.connect(data_dir / "chargepoint.sqlite") as db:
        sessions = db.execute(
            "SELECT connector_id, id_tag, meter_start_wh, started_at, transaction_id, delivery, "
            "meter_stop_wh FROM transactions ORDER BY local_id"
        ).fetchall()
    print(
        f"crash test: {len(sessions)} sessions, {len(peer.of('MeterValues'))} MeterValues, "
        f"{len(peer.duplicates)} resends recognised by message id"
    )
    assert len(sessions) >= ROUNDS // 2, "the test must actually produce sessions"
    starts = peer.of("StartTransaction")
    stops = peer.of("StopTransaction")
    # Exactly once: one StartTransaction per recorded session, one stop per transaction.
    assert len(starts) == len(sessions)
    start_keys = sorted(
        (s.payload["connector_id"], s.payload["id_tag"], s.payload["meter_start"]) for s in starts
    )
    assert start_keys == sorted((c, t, m) for c, t, m, *_ in sessions)
    tx_ids = [peer.tx_by_uid[s.unique_id] for s in starts]
    assert sorted(tx_ids) == sorted(s[4] for s in sessions)
    assert sorted(s.payload["transaction_id"] for s in stops) == sorted(tx_ids)
    assert all(s[5] == "delivered" for s in sessions)
    # Meter values: per transaction in time order, inside the session, register never falling.
    by_tx: dict[int, list[tuple[str, float]]] = {}
    for mv in peer.of("MeterValues"):
        tx = mv.payload.get("transaction_id")
        if tx is None:
            # The run crossed a quarter hour of the real clock (ClockAlignedDataInterval 900 s):
            # clock-aligned readings of an idle connector, which are not transaction data.
            contexts = {
                s.get("context") for v in mv.payload["meter_value"] for s in v["sampled_value"]
            }
            assert contexts == {"Sample.Clock"}
            continue
        for v in mv.payload["meter_value"]:
            energy = [
                float(s["value"])
                for s in v["sampled_value"]
                if s.get("measurand", "Energy.Active.Import.Register")
                == "Energy.Active.Import.Register"
            ]
            by_tx.setdefault(tx, []).append((v["timestamp"], energy[0]))
    start_of = {peer.tx_by_uid[s.unique_id]: s.payload for s in starts}
    stop_of = {s.payload["transaction_id"]: s.payload for s in stops}
    assert by_tx, "the test must actually produce meter values"
    for tx, values in by_tx.items():
        stamps = [t for t, _ in values]
        assert stamps == sorted(stamps), f"transaction {tx}: meter values out of order"
        registers = [e for _, e in values]
        assert registers == sorted(registers)
        assert start_of[tx]["meter_start"] <= registers[0]
        assert registers[-1] <= stop_of[tx]["meter_stop"]
