"""The security log of a real charge point process (R36, R37): a tamper alarm raised while the
central system is unreachable survives kill -9 and is notified after the next boot is accepted,
exactly once; an entry edited on disk is detected; the process listens on nothing but the
simulator control API its config enables."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import psutil
from cp_harness import control, free_port, start_process, write_process_config
from csms_peer import CentralSystemPeer
from waiting import until

from smartcharge.chargepoint.security.security_log import SecurityLog


def logged(db: Path, event: str) -> bool:
    if not db.exists():
        return False
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT count(*) FROM entries WHERE event = ?", (event,)).fetchone()
    return bool(rows[0])


async def test_security_events_survive_kill_9_and_are_sent_after_boot(tmp_path: Path) -> None:
    csms_port, control_port = free_port(), free_port()
    data = tmp_path / "data"
    cfg = tmp_path / "cp.toml"
    url = f"ws://127.0.0.1:{csms_port}/ocpp"
    write_process_config(cfg, identity="SECLOG1", url=url, data_dir=data, control_port=control_port)
    stderr = tmp_path / "stderr.log"

    # 1. No central system yet: the alarm can only be queued.
    proc = await start_process(cfg, stderr)
    try:
        await control(control_port, "GET", "/state")
        listening = {
            c.laddr.port
            for c in psutil.Process(proc.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {control_port}  # nothing the config did not enable
        await control(control_port, "POST", "/tamper", {"description": "lid forced"})
        await until(lambda: logged(data / "security.sqlite", "TamperDetectionActivated"))
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    # 2. The central system is back; so is the charger, after a power cut.
    peer = CentralSystemPeer()
    await peer.start(csms_port)
    proc = await start_process(cfg, stderr)
    try:
        await peer.wait_for(
            lambda: (
                "TamperDetectionActivated"
                in [r.payload["type"] for r in peer.of("SecurityEventNotification")]
            ),
            timeout=30,
        )
        await peer.wait_for(lambda: len(peer.of("SecurityEventNotification")) >= 3)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await peer.stop()
    actions = [r.action for r in peer.received]
    assert actions.index("BootNotification") < actions.index("SecurityEventNotification")
    types = peer.security_events()
    assert types[:3] == ["StartupOfTheDevice", "TamperDetectionActivated", "StartupOfTheDevice"]
    assert peer.duplicates == [] and peer.errors == []

    # 3. The log on disk is intact; an entry edited behind its back is found.
    with SecurityLog(data / "security.sqlite") as security_log:
        assert security_log.verify().ok
        seq = next(e.seq for e in security_log.entries() if e.event == "TamperDetectionActivated")
    with sqlite3.connect(data / "security.sqlite") as conn:
        conn.execute("UPDATE entries SET tech_info = 'nothing happened' WHERE seq = ?", (seq,))
    with SecurityLog(data / "security.sqlite") as security_log:
        result = security_log.verify()
    assert not result.ok and result.bad_seq == seq
