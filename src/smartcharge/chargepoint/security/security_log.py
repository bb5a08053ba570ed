"""The security log (R37): append-only, hash-chained, durable, exportable.

Every entry carries the SHA-256 of the previous entry's hash and its own canonical encoding, so an
edited, removed or reordered entry breaks the chain at a known `seq`. The log lives in its own
SQLite file (WAL, `synchronous=FULL`): once `append` has returned, the entry survives a kill -9 or
a power cut.

Entries that the central system must hear about (SecurityEventNotification; by default the
whitepaper's *critical* events) are also put in a durable queue, in the same SQLite transaction as
the entry. The queue is a message outbox, not part of the evidence: `mark_notified(seq)` removes an
entry from it once the central system acknowledged, and clearing the log leaves it alone, so an
undelivered notification is never lost by a clear.

Clearing is itself an event: all entries are removed and a `SecurityLogWasCleared` entry starts the
new chain, its `prev_hash` being the old head's hash and its `seq` continuing the old numbering.

The chain proves integrity against anyone who changes the file without recomputing every later
hash. With `mac_key` (e.g. a key from the per-device CredentialVault) the chain uses HMAC-SHA-256,
so rewriting it needs the device's key too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint.storage import write_transaction
from smartcharge.ocpp.times import format_time, parse_time

# The OCPP 1.6 security whitepaper's security events (edition 3, appendix 1), with whether each is
# critical: a critical event is pushed to the central system with SecurityEventNotification.
WHITEPAPER_EVENTS: dict[str, bool] = {
    "FirmwareUpdated": True,
    "FailedToAuthenticateAtCentralSystem": False,
    "CentralSystemFailedToAuthenticate": False,
    "SettingSystemTime": True,
    "StartupOfTheDevice": True,
    "ResetOrReboot": True,
    "SecurityLogWasCleared": True,
    "ReconfigurationOfSecurityParameters": False,
    "MemoryExhaustion": True,
    "InvalidMessages": False,
    "AttemptedReplayAttacks": False,
    "TamperDetectionActivated": True,
    "InvalidFirmwareSignature": False,
    "InvalidFirmwareSigningCertificate": False,
    "InvalidCentralSystemCertificate": False,
    "InvalidChargePointCertificate": False,
    "InvalidTLSVersion": False,
    "InvalidTLSCipherSuite": False,
}

# Our own events (the whitepaper allows others; `type` is a free string of at most 50 characters).
LOCAL_EVENTS: dict[str, bool] = {
    "OwnerLoginFailed": False,
    "OwnerLockedOut": True,
    "OwnerPasswordSet": False,
    "BootIntegrityFailed": True,
    "BootIntegrityRestored": True,
    "TamperCleared": True,
    "SecurityProfileFallback": True,
    "CredentialsProvisioned": False,
    "FactoryReset": True,
    "FirmwareRolledBack": True,
    "InvalidFileServerCertificate": False,
}

EVENT_TYPES: dict[str, bool] = {**WHITEPAPER_EVENTS, **LOCAL_EVENTS}

TECH_INFO_MAX = 255  # SecurityEventNotification.techInfo is a string of at most 255 characters
GENESIS_HASH = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    tech_info TEXT NOT NULL,
    notify INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_at ON entries(at);
-- SecurityEventNotifications not yet acknowledged by the central system.
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    tech_info TEXT NOT NULL
);
-- The chain's anchor (what the first entry must link to) and head (the last entry written), so
-- that removing entries at either end is detected too.
CREATE TABLE IF NOT EXISTS chain (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("security log times must be timezone-aware")
    return format_time(dt)


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    timestamp: datetime  # UTC
    event: str
    tech_info: str
    notify: bool  # whether a SecurityEventNotification was asked for (part of the hash)
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": _iso(self.timestamp),
            "type": self.event,
            "techInfo": self.tech_info,
            "notify": self.notify,
            "prevHash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class PendingNotification:
    seq: int
    timestamp: datetime
    event: str
    tech_info: str

    def payload(self) -> dict[str, Any]:
        """The SecurityEventNotification request payload."""
        out: dict[str, Any] = {"type": self.event, "timestamp": _iso(self.timestamp)}
        if self.tech_info:
            out["techInfo"] = self.tech_info
        return out


@dataclass(frozen=True, slots=True)
class VerificationResult:
    ok: bool
    entries: int  # how many entries were checked
    bad_seq: int | None = None  # the first seq at which the chain breaks
    problem: str = ""

    def __bool__(self) -> bool:
        return self.ok


def canonical(seq: int, at: str, event: str, tech_info: str, notify: bool, prev: str) -> bytes:
    """The bytes an entry's hash covers: sorted-key compact JSON, UTF-8."""
    return orjson.dumps(
        {
            "at": at,
            "event": event,
            "notify": notify,
            "prev_hash": prev,
            "seq": seq,
            "tech_info": tech_info,
        },
        option=orjson.OPT_SORT_KEYS,
    )


class SecurityLog:
    def __init__(self, path: Path, *, mac_key: bytes | None = None) -> None:
        self.path = path
        self._mac_key = mac_key
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        if fresh:
            os.chmod(path, 0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)  # idempotent; executescript commits on its own
        with self._write():
            self._db.execute(
                "INSERT OR IGNORE INTO chain(key, value) VALUES "
                "('anchor_hash', ?), ('anchor_seq', '0'), ('head_hash', ?), ('head_seq', '0')",
                (GENESIS_HASH, GENESIS_HASH),
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SecurityLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock first, so two writers never fork the chain.
        with write_transaction(self._db):
            yield

    def _digest(self, data: bytes) -> str:
        if self._mac_key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()

    def _chain(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM chain WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def _set_chain(self, **values: str | int) -> None:
        self._db.executemany(
            "UPDATE chain SET value = ? WHERE key = ?", [(str(v), k) for k, v in values.items()]
        )

    # --- writing ------------------------------------------------------------------------------

    def append(
        self, event: str, tech_info: str, now: datetime, *, notify: bool | None = None
    ) -> Entry:
        """Record an event; durable once this returns. `notify` defaults to its criticality."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown security event type {event!r}")
        if event == "SecurityLogWasCleared":
            raise ValueError("use clear() to clear the security log")
        with self._write():
            return self._append(event, tech_info, now, notify)

    def _append(self, event: str, tech_info: str, now: datetime, notify: bool | None) -> Entry:
        at = _iso(now)
        info = tech_info[:TECH_INFO_MAX]
        wants = EVENT_TYPES[event] if notify is None else notify
        seq = int(self._chain("head_seq")) + 1
        prev = self._chain("head_hash")
        digest = self._digest(canonical(seq, at, event, info, wants, prev))
        self._db.execute(
            "INSERT INTO entries(seq, at, event, tech_info, notify, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, event, info, int(wants), prev, digest),
        )
        if wants:
            self._db.execute(
                "INSERT INTO pending(seq, at, event, tech_info) VALUES (?, ?, ?, ?)",
                (seq, at, event, info),
            )
        self._set_chain(head_seq=seq, head_hash=digest)
        return Entry(seq, parse_time(at), event, info, wants, prev, digest)

    def clear(self, now: datetime, tech_info: str = "") -> Entry:
        """Remove every entry; the SecurityLogWasCleared entry anchors the new chain on the old."""
        with self._write():
            self._db.execute("DELETE FROM entries")
            self._set_chain(
                anchor_seq=self._chain("head_seq"), anchor_hash=self._chain("head_hash")
            )
            return self._append("SecurityLogWasCleared", tech_info, now, None)

    # --- notifications ------------------------------------------------------------------------

    def pending_notifications(self, limit: int | None = None) -> list[PendingNotification]:
        """Notifications the central system has not acknowledged yet, oldest first."""
        rows = self._db.execute(
            "SELECT seq, at, event, tech_info FROM pending ORDER BY seq LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return [PendingNotification(s, parse_time(a), e, t) for s, a, e, t in rows]

    def mark_notified(self, seq: int) -> None:
        """The central system acknowledged entry `seq`'s notification (idempotent)."""
        with self._write():
            self._db.execute("DELETE FROM pending WHERE seq = ?", (seq,))

    # --- reading ------------------------------------------------------------------------------

    def entries(self, since: datetime | None = None, until: datetime | None = None) -> list[Entry]:
        """Entries with `since <= timestamp <= until` (either bound optional), in seq order."""
        sql = "SELECT seq, at, event, tech_info, notify, prev_hash, hash FROM entries"
        where: list[str] = []
        args: list[str] = []
        if since is not None:
            where.append("at >= ?")
            args.append(_iso(since))
        if until is not None:
            where.append("at <= ?")
            args.append(_iso(until))
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        return [Entry(s, parse_time(a), e, t, bool(n), p, h) for s, a, e, t, n, p, h in rows]

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry written; (0, GENESIS_HASH) for a log never written."""
        return int(self._chain("head_seq")), self._chain("head_hash")

    def verify(self) -> VerificationResult:
        """Walk the chain from its anchor to its head; report the first seq where it breaks."""
        self._db.execute("BEGIN")  # one consistent snapshot
        try:
            anchor_seq = int(self._chain("anchor_seq"))
            anchor_hash = self._chain("anchor_hash")
            head_seq, head_hash = self.head()
            rows = self._db.execute(
                "SELECT seq, at, event, tech_info, notify, prev_hash, hash FROM entries "
                "ORDER BY seq"
            ).fetchall()
        finally:
            self._db.execute("COMMIT")
        return verify_chain(
            ((s, a, e, t, bool(n), p, h) for s, a, e, t, n, p, h in rows),
            anchor_seq=anchor_seq,
            anchor_hash=anchor_hash,
            head_seq=head_seq,
            head_hash=head_hash,
            digest=self._digest,
        )

    def export(
        self, dest: Path, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        """Write the entries as JSON lines (for GetLog), atomically; returns how many."""
        entries = self.entries(since, until)
        anchor_seq, anchor_hash = int(self._chain("anchor_seq")), self._chain("anchor_hash")
        header = {
            "format": "smartcharge-security-log",
            "version": 1,
            "hash": "hmac-sha256" if self._mac_key is not None else "sha256",
            "anchorSeq": anchor_seq,
            "anchorHash": anchor_hash,
        }
        tmp = dest.with_name(dest.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps(header) + b"\n")
            for entry in entries:
                f.write(orjson.dumps(entry.as_json()) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        return len(entries)


Row = tuple[int, str, str, str, bool, str, str]


def verify_chain(
    rows: Iterable[Row],
    *,
    anchor_seq: int,
    anchor_hash: str,
    head_seq: int,
    head_hash: str,
    digest: Callable[[bytes], str] | None = None,
) -> VerificationResult:
    """The pure check behind `SecurityLog.verify`, on (seq, at, event, tech_info, notify,
    prev_hash, hash) rows in seq order."""

    def sha256(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    hash_of = digest or sha256
    expect_seq, expect_prev = anchor_seq + 1, anchor_hash
    count = 0
    for seq, at, event, tech_info, notify, prev_hash, stored in rows:
        if seq != expect_seq:
            if seq > expect_seq:
                problem = f"entries {expect_seq}..{seq - 1} are missing"
            else:
                problem = f"entry {seq} is out of order"
            return VerificationResult(False, count, seq, problem)
        if prev_hash != expect_prev:
            return VerificationResult(
                False, count, seq, f"entry {seq} does not link to the entry before it"
            )
        if hash_of(canonical(seq, at, event, tech_info, notify, prev_hash)) != stored:
            return VerificationResult(
                False, count, seq, f"entry {seq} was changed after it was written"
            )
        count += 1
        expect_seq, expect_prev = seq + 1, stored
    if expect_seq - 1 != head_seq or expect_prev != head_hash:
        return VerificationResult(
            False,
            count,
            expect_seq,
            f"entries after {expect_seq - 1} (up to {head_seq}) are missing",
        )
    return VerificationResult(True, count)
