"""Structured logs (one JSON object a line) that never carry a secret.

Every record passes through `redact`, which masks Authorization headers, basic-auth URLs and
`password=`/`key=`-style pairs, whatever a caller put in the message: a safety net behind the
rule that code never logs secrets in the first place.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

_SECRET_PATTERNS = [
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(basic|bearer)?\s*[^\s,;\"']+"), r"\1\2 ***"),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|authorizationkey|token|api_key)(\"?\s*[:=]\s*\"?)"
            r"[^\s,;\"'}]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"(?i)(\w+://)([^/\s:@]+):([^/\s@]+)@"), r"\1\2:***@"),
    # A ChangeConfiguration frame setting the charger's password (key and value are separate
    # JSON fields, so the pattern above does not see it).
    (
        re.compile(r'(?i)("key"\s*:\s*"authorizationkey"\s*,\s*"value"\s*:\s*")[^"]*'),
        r"\1***",
    ),
]


_TRIGGERS = ("authorization", "passw", "secret", "token", "api_key", "://")
"""Every pattern above needs one of these (lower case) in the text: a line without any is left
as it is without running the patterns (most lines; the patterns were most of a line's cost)."""


def redact(text: str) -> str:
    lower = text.lower()
    if not any(trigger in lower for trigger in _TRIGGERS):
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # A serving process writes each record twice (its file and stderr): the line is made
        # once, four patterns and a JSON encoding less per record on every busy path.
        made: str | None = record.__dict__.get(_LINE)
        if made is not None and record.__dict__.get(_BY) is self:
            return made
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        line = orjson.dumps(entry).decode()
        record.__dict__[_LINE], record.__dict__[_BY] = line, self
        return line


_LINE = "_smartcharge_json_line"
_BY = "_smartcharge_json_formatter"


def setup(log_dir: Path | None, *, level: int = logging.INFO, console: bool = True) -> None:
    """Configure the process's logging: JSON lines to `log_dir/<name>.log` (rotated) and stderr."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    formatter = JsonFormatter()
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            log_dir / "smartcharge.log", maxBytes=5_000_000, backupCount=3
        )
        fh.setFormatter(formatter)
        root.addHandler(fh)
    if console:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(formatter)
        root.addHandler(sh)
    # A line carries the time, level, logger and message, never the caller's file and line, its
    # thread or its process: logging need not look them up for every record (the logging
    # documentation's "Optimization"; the file and line were a stack walk per record).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Third-party chatter (a websockets frame dump could contain headers) stays out of INFO.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
