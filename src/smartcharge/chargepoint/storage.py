"""The charger's SQLite writes: one write transaction, and recognising a full disk.

A full disk is SQLite's SQLITE_FULL ("database or disk is full") or the OS's ENOSPC. The charger
keeps charging when its storage fills up (security/events.py records MemoryExhaustion once per
episode and keeps unwritten security events in memory); the parts that write call
`storage_full` to tell that case from a real fault, which still propagates.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

_OS_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def storage_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in _OS_FULL


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE (the write lock first: two writers never interleave) ... COMMIT; rolled
    back on any error. SQLite ends the transaction itself on some errors (SQLITE_FULL): a
    ROLLBACK then would fail and hide the real error, so it is issued only if still open."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
