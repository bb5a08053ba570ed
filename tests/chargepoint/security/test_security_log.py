"""The security log (R37): hash chain, tamper evidence, durable notifications, clearing, kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartcharge.chargepoint.security.security_log import (
    GENESIS_HASH,
    WHITEPAPER_EVENTS,
    SecurityLog,
)

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> SecurityLog:
    return SecurityLog(tmp_path / "security.sqlite")


def fill(log: SecurityLog, n: int = 5) -> None:
    for i in range(n):
        log.append("InvalidMessages", f"message {i}", T0 + timedelta(minutes=i))


def test_entries_are_chained_and_verify(log: SecurityLog) -> None:
    first = log.append("StartupOfTheDevice", "boot", T0)
    second = log.append("InvalidMessages", "bad frame", T0 + timedelta(seconds=1))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert log.head() == (2, second.hash)
    result = log.verify()
    assert result.ok and result.entries == 2 and result.bad_seq is None


def test_timestamps_are_utc_and_must_be_aware(log: SecurityLog) -> None:
    from zoneinfo import ZoneInfo

    summer = datetime(2026, 7, 1, 13, 0, tzinfo=ZoneInfo("Europe/London"))
    entry = log.append("SettingSystemTime", "", summer)
    assert entry.timestamp == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert entry.timestamp.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        log.append("SettingSystemTime", "", datetime(2026, 1, 1))


def test_unknown_event_types_are_refused(log: SecurityLog) -> None:
    with pytest.raises(ValueError, match="unknown security event type"):
        log.append("FirmwareUpdatd", "", T0)
    with pytest.raises(ValueError, match="clear"):
        log.append("SecurityLogWasCleared", "", T0)
    assert log.entries() == []


def test_every_whitepaper_event_is_accepted(log: SecurityLog) -> None:
    events = [e for e in WHITEPAPER_EVENTS if e != "SecurityLogWasCleared"]
    for event in events:
        log.append(event, "", T0)
    assert [e.event for e in log.entries()] == events
    assert log.verify().ok


def test_tech_info_is_cut_to_the_ocpp_limit(log: SecurityLog) -> None:
    entry = log.append("InvalidMessages", "x" * 1000, T0)
    assert len(entry.tech_info) == 255
    assert log.verify().ok


def test_entries_between_times(log: SecurityLog) -> None:
    fill(log, 5)
    got = log.entries(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [e.seq for e in got] == [2, 3, 4]


def tamper(path: Path, sql: str, *args: object) -> None:
    db = sqlite3.connect(path)
    db.execute(sql, args)
    db.commit()
    db.close()


def test_an_edited_entry_is_detected_with_its_seq(log: SecurityLog) -> None:
    fill(log)
    tamper(log.path, "UPDATE entries SET tech_info = 'nothing happened' WHERE seq = 3")
    result = log.verify()
    assert not result.ok and result.bad_seq == 3
    assert "changed" in result.problem


def test_an_edited_timestamp_is_detected(log: SecurityLog) -> None:
    fill(log)
    tamper(log.path, "UPDATE entries SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2")
    assert log.verify().bad_seq == 2


def test_a_removed_entry_is_detected(log: SecurityLog) -> None:
    fill(log)
    tamper(log.path, "DELETE FROM entries WHERE seq = 2")
    result = log.verify()
    assert not result.ok and result.bad_seq == 3 and "2..2 are missing" in result.problem


def test_removing_the_first_or_the_last_entries_is_detected(tmp_path: Path) -> None:
    for where, bad in (("seq = 1", 2), ("seq >= 4", 4)):
        log = SecurityLog(tmp_path / f"{bad}.sqlite")
        fill(log)
        tamper(log.path, f"DELETE FROM entries WHERE {where}")
        result = log.verify()
        assert not result.ok and result.bad_seq == bad, result


def test_reordered_entries_are_detected(log: SecurityLog) -> None:
    fill(log)
    db = sqlite3.connect(log.path)
    a = db.execute("SELECT at, tech_info FROM entries WHERE seq = 2").fetchone()
    b = db.execute("SELECT at, tech_info FROM entries WHERE seq = 3").fetchone()
    db.execute("UPDATE entries SET at = ?, tech_info = ? WHERE seq = 2", b)
    db.execute("UPDATE entries SET at = ?, tech_info = ? WHERE seq = 3", a)
    db.commit()
    db.close()
    assert log.verify().bad_seq == 2


def test_a_recomputed_plain_hash_is_caught_with_a_mac_key(tmp_path: Path) -> None:
    # Without the device key an attacker can recompute SHA-256, never the HMAC.
    import hashlib

    from smartcharge.chargepoint.security.security_log import canonical

    log = SecurityLog(tmp_path / "s.sqlite", mac_key=b"k" * 32)
    entry = log.append("TamperDetectionActivated", "lid", T0)
    forged = hashlib.sha256(
        canonical(1, "2026-03-29T00:30:00.000Z", "TamperDetectionActivated", "", True, GENESIS_HASH)
    ).hexdigest()
    tamper(log.path, "UPDATE entries SET tech_info = '', hash = ? WHERE seq = 1", forged)
    tamper(log.path, "UPDATE chain SET value = ? WHERE key = 'head_hash'", forged)
    assert entry.hash != forged
    assert log.verify().bad_seq == 1


def test_critical_events_queue_a_notification_until_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    log = SecurityLog(path)
    tamper_entry = log.append("TamperDetectionActivated", "lid opened", T0)
    log.append("InvalidMessages", "bad frame", T0)  # not critical: stored only
    forced = log.append("InvalidFirmwareSignature", "image x", T0, notify=True)
    log.close()

    log = SecurityLog(path)  # survives a restart
    pending = log.pending_notifications()
    assert [p.seq for p in pending] == [tamper_entry.seq, forced.seq]
    assert pending[0].payload() == {
        "type": "TamperDetectionActivated",
        "timestamp": "2026-03-29T00:30:00.000Z",
        "techInfo": "lid opened",
    }
    log.mark_notified(tamper_entry.seq)
    log.mark_notified(tamper_entry.seq)  # idempotent
    assert [p.seq for p in log.pending_notifications()] == [forced.seq]
    assert log.verify().ok  # delivery state is not part of the evidence


def test_clearing_is_an_event_anchored_on_the_old_head(log: SecurityLog) -> None:
    log.append("TamperDetectionActivated", "lid", T0)  # pending, not yet delivered
    fill(log, 3)
    old_head = log.head()
    cleared = log.clear(T0 + timedelta(hours=1), "by owner")
    assert cleared.event == "SecurityLogWasCleared"
    assert cleared.seq == old_head[0] + 1 and cleared.prev_hash == old_head[1]
    assert [e.seq for e in log.entries()] == [cleared.seq]
    log.append("InvalidMessages", "after", T0 + timedelta(hours=2))
    assert log.verify().ok
    # an undelivered notification survives the clear, and the clear itself is notified
    assert [p.event for p in log.pending_notifications()] == [
        "TamperDetectionActivated",
        "SecurityLogWasCleared",
    ]


def test_removing_the_cleared_entry_is_detected(log: SecurityLog) -> None:
    fill(log, 2)
    cleared = log.clear(T0)
    log.append("InvalidMessages", "", T0)
    tamper(log.path, "DELETE FROM entries WHERE seq = ?", cleared.seq)
    assert log.verify().bad_seq == cleared.seq + 1


def test_export_is_json_lines_with_a_header(log: SecurityLog, tmp_path: Path) -> None:
    fill(log, 3)
    out = tmp_path / "security-log.jsonl"
    assert log.export(out, since=T0 + timedelta(minutes=1)) == 2
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["format"] == "smartcharge-security-log" and lines[0]["hash"] == "sha256"
    assert [line["seq"] for line in lines[1:]] == [2, 3]
    assert lines[1]["type"] == "InvalidMessages"
    assert lines[1]["timestamp"] == "2026-03-29T00:31:00.000Z"
    assert lines[2]["prevHash"] == lines[1]["hash"]


def test_log_file_is_private(log: SecurityLog) -> None:
    assert os.stat(log.path).st_mode & 0o777 == 0o600


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from smartcharge.chargepoint.security.security_log import SecurityLog

log = SecurityLog(Path(sys.argv[1]))
while True:
    entry = log.append("InvalidMessages", "x" * 100, datetime.now(UTC))
    print(entry.seq, flush=True)  # acknowledged: append() returned
"""


def test_survives_kill_9_without_losing_an_acknowledged_entry(tmp_path: Path) -> None:
    path = tmp_path / "security.sqlite"
    SecurityLog(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acknowledged: list[int] = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        acknowledged.append(int(proc.stdout.readline()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acknowledged += [int(line) for line in proc.stdout.read().split()]
    assert len(acknowledged) >= 200

    log = SecurityLog(path)
    result = log.verify()
    assert result.ok, result
    seqs = {e.seq for e in log.entries()}
    assert set(acknowledged) <= seqs
    assert seqs == set(range(1, max(seqs) + 1))
    log.append("StartupOfTheDevice", "after kill", datetime.now(UTC))  # the chain continues
    assert log.verify().ok
