"""The platform's background loops (DSR retries, plan keeping, site balancing, certificate
renewal, last-seen flushing) each run one pass at a time and log a failed pass rather than end.

A pass cancelled while a database statement is in flight can surface as an ordinary exception
instead of `CancelledError` (a driver or a listener that fails while the interrupted transaction
is rolled back). Logged and ignored like any failed pass, that would swallow the cancellation and
the loop would run on, so the platform's stop waited for it forever. `failed_pass` logs the
failure and, if the task is being cancelled, lets the cancellation through.
"""

from __future__ import annotations

import asyncio
import logging


def failed_pass(log: logging.Logger, what: str) -> None:
    """Call from a loop's `except Exception:`: log `what` with the traceback, then raise
    `CancelledError` if this task was asked to stop while the pass ran."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    log.exception(what)
