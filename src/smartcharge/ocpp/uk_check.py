"""How a UK-extension message's `data` is checked (uk_extension.py declares the messages).

Each message is a frozen dataclass whose fields carry a spec (`Num`, `Text`, `Choice`, `Flag`,
`Time`, `Records`). `check(model, raw)` takes the quick way when every value is already of its
field's own JSON type and within its limits (what any sender writing our own messages produces):
the values are used as they are. Anything else (a number in a string, a missing or unknown key,
a value out of range, any date and time) goes to pydantic models built from the same specs
(uk_pydantic.py), which convert what they may and name the first problem. So a charger loads
pydantic (about 9 MB resident, issue 12: a charger under 45 MB) only when a central system sends
it something unusual or wrong, and every answer is what those models give.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar


class UkExtensionError(ValueError):
    """A message's data does not fit its schema; the text names the field."""


@dataclass(frozen=True)
class Num:
    """An int or a float; `finite`: no NaN or infinity."""

    kind: type[int] | type[float]
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    finite: bool = False


@dataclass(frozen=True)
class Text:
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Choice:
    """One of the strings of a Literal type (the field's annotation)."""

    values: tuple[str, ...]

    @classmethod
    def of(cls, literal: Any) -> Choice:
        return cls(typing.get_args(literal))


@dataclass(frozen=True)
class Flag:
    """true or false."""


@dataclass(frozen=True)
class Time:
    """A date and time with a UTC offset (taken the quick way as 2026-03-29T00:30:00Z, or with
    up to 6 decimals of a second, or an offset such as +01:00)."""


@dataclass(frozen=True)
class Records:
    """A list of JSON objects, at most `max_length` of them."""

    max_length: int


Spec = Num | Text | Choice | Flag | Time | Records


def spec(of: Spec, *, nullable: bool = False) -> dict[str, Any]:
    """A message field's metadata: `field(metadata=spec(...))`, with a default if it may be left
    out (`nullable`: null is accepted too)."""
    return {"spec": of, "nullable": nullable}


@dataclass(frozen=True, kw_only=True)
class Message:
    """A UK-extension message's data; subclasses declare its keys with `key()`."""


M = TypeVar("M", bound=Message)
_NOT_PLAIN = object()


def specs(model: type[Message]) -> list[tuple[dataclasses.Field[Any], Spec, bool]]:
    return [(f, f.metadata["spec"], f.metadata["nullable"]) for f in dataclasses.fields(model)]


def _plain(spec: Spec, value: Any) -> Any:
    """`value` as the field takes it when it is already plain and within limits, or _NOT_PLAIN."""
    if isinstance(spec, Num):
        if type(value) is not int and (spec.kind is int or type(value) is not float):
            return _NOT_PLAIN
        if (spec.finite and not math.isfinite(value)) or (
            type(value) is int and abs(value) > 2**53
        ):
            return _NOT_PLAIN
        if (
            (spec.ge is not None and not value >= spec.ge)
            or (spec.le is not None and not value <= spec.le)
            or (spec.gt is not None and not value > spec.gt)
        ):
            return _NOT_PLAIN
        return float(value) if spec.kind is float else value
    if isinstance(spec, Text):
        if type(value) is not str:
            return _NOT_PLAIN
        if (spec.min_length is not None and len(value) < spec.min_length) or (
            spec.max_length is not None and len(value) > spec.max_length
        ):
            return _NOT_PLAIN
        # A trailing newline: Python's `$` would match before it, pydantic's would not.
        if spec.pattern is not None and (
            value.endswith("\n") or not re.search(spec.pattern, value)
        ):
            return _NOT_PLAIN
        return value
    if isinstance(spec, Choice):
        return value if type(value) is str and value in spec.values else _NOT_PLAIN
    if isinstance(spec, Flag):
        return value if type(value) is bool else _NOT_PLAIN
    if isinstance(spec, Records):
        if type(value) is not list or len(value) > spec.max_length:
            return _NOT_PLAIN
        if not all(type(item) is dict and all(type(k) is str for k in item) for item in value):
            return _NOT_PLAIN
        return [dict(item) for item in value]
    if isinstance(spec, Time):
        # Only the common form, which both parsers read alike: other forms (Unix times, no
        # seconds, "+0100", more than 6 decimals) go to pydantic.
        if type(value) is not str or not _ISO_TIME.fullmatch(value):
            return _NOT_PLAIN
        try:
            return datetime.fromisoformat(value)
        except ValueError:  # a day or an hour out of range
            return _NOT_PLAIN
    return _NOT_PLAIN


_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def check(model: type[M], raw: dict[str, Any]) -> M:
    """`raw` (the parsed `data`) checked against `model`; UkExtensionError names the field."""
    fields = specs(model)
    values: dict[str, Any] = {}
    if set(raw) <= {f.name for f, _, _ in fields}:
        for field, spec, nullable in fields:
            if field.name not in raw:
                if field.default is dataclasses.MISSING:
                    break
                continue
            value = raw[field.name]
            plain = None if value is None and nullable else _plain(spec, value)
            if plain is _NOT_PLAIN:
                break
            values[field.name] = plain
        else:
            return model(**values)
    from smartcharge.ocpp.uk_pydantic import validate

    return validate(model, raw)
