"""The checks and field types the charge point's TOML tables are built from (config.py).

Messages never include the value: it may be the password. A check across keys raises
`KeyProblem` naming the key, relative to the table that raised it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from smartcharge.chargepoint.config_model import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationInfo,
)

_IDENTITY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def int_range(lo: int, hi: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return check


def float_range(lo: float, hi: float, *, lo_open: bool = False) -> Callable[[float], float]:
    def check(value: float) -> float:
        low_ok = value > lo if lo_open else value >= lo
        if not (low_ok and value <= hi):  # also rejects NaN
            low = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
            raise ValueError(f"must be {low} and at most {hi:g}")
        return value

    return check


def length_between(lo: int, hi: int, what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not lo <= len(value) <= hi:
            raise ValueError(f"must be {lo} to {hi} characters{what}")
        return value

    return check


def ws_url(value: str) -> str:
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("must be a ws:// or wss:// URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number in 0..65535 raises
    except ValueError:
        raise ValueError("must be a ws:// or wss:// URL with a valid host and port") from None
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("must be a ws:// or wss:// URL")
    if not parts.hostname:
        raise ValueError("must be a ws:// or wss:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials; set security.password instead")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("must not have a query or fragment (the identity is appended to its path)")
    return value


def identity_text(value: str) -> str:
    if not 1 <= len(value) <= 48:
        raise ValueError("must be 1 to 48 characters")
    if not set(value) <= _IDENTITY_CHARS:
        raise ValueError("may only contain letters, digits and - _ . :")
    return value


def is_identity(value: str) -> bool:
    try:
        identity_text(value)
    except ValueError:
        return False
    return True


def host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if (
        not sep
        or not host
        or any(ch.isspace() for ch in host)
        or not (port.isascii() and port.isdigit())
        or int(port) > 65535
    ):
        raise ValueError("must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:0")
    return value


def split_host_port(value: str) -> tuple[str, int]:
    """A value `host_port` accepted, as (host without IPv6 brackets, port)."""
    host, _, port = value.rpartition(":")
    return (host[1:-1] if host.startswith("[") else host), int(port)


def aware_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                "must be an ISO-8601 date and time with a UTC offset, "
                "e.g. 2026-03-29T00:30:00+00:00"
            ) from None
    if not isinstance(value, datetime):  # a TOML date or time, a number, ...
        raise ValueError("must be a date and time with a UTC offset, e.g. 2026-03-29T00:30:00Z")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2026-03-29T00:30:00+00:00")
    return value


def printable_password(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if not 16 <= len(secret) <= 40:
        raise ValueError("must be 16 to 40 characters")
    if not all(0x20 <= ord(ch) <= 0x7E for ch in secret):
        raise ValueError("must be printable ASCII characters only")
    return value


def profile_number(value: Any) -> Any:
    if type(value) is not int or value not in (0, 1, 2, 3):
        raise ValueError("must be one of 0, 1, 2, 3")
    return value


def phase_count(value: Any) -> Any:
    if type(value) is not int or value not in (1, 3):
        raise ValueError("must be 1 or 3")
    return value


def resolve_path(value: Path, info: ValidationInfo) -> Path:
    if "\x00" in str(value):
        raise ValueError("must be a path without NUL characters")
    base = info.context.get("base_dir") if isinstance(info.context, Mapping) else None
    if not value.is_absolute() and isinstance(base, Path):
        value = base / value
    return value


Identity = Annotated[str, AfterValidator(identity_text)]
WsUrl = Annotated[str, AfterValidator(ws_url)]


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError("must not contain spaces or control characters")
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]


def calendar_date(value: Any) -> Any:
    """A TOML date (`2031-12-31`) or the same as a string; never a date and time."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date, e.g. 2031-12-31") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("must be a date, e.g. 2031-12-31")
    return value


def contact_address(value: str) -> str:
    """Where to report a vulnerability (R38): an e-mail address or an https:// URL."""
    if not 3 <= len(value) <= 200 or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError("must be 3 to 200 characters without spaces")
    if value.startswith("https://"):
        return http_url(value)
    local, at, domain = value.partition("@")
    if not (at and local and "." in domain and "@" not in domain and "/" not in value):
        raise ValueError("must be an e-mail address or an https:// URL")
    return value


def path_input(value: Any) -> Any:
    # Path's lax mode would take other types (e.g. os.PathLike); a TOML file only gives strings.
    if not isinstance(value, str | Path):
        raise ValueError("must be a string (a path)")
    if str(value) == "":
        raise ValueError("must not be empty")
    return value


ResolvedPath = Annotated[
    Path, Field(strict=False), BeforeValidator(path_input), AfterValidator(resolve_path)
]


class KeyProblem(ValueError):
    """A check across keys; `key` is the TOML path, relative to the table that raised it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
