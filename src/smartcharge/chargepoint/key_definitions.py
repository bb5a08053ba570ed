"""What a configuration key is: its kind, bounds, allowed values, profile (`KeyDef`), and the
shorthands the catalogue (key_catalogue.py) is written with. The values themselves live in a
`Configuration` (configuration_keys.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ocpp.v16.enums import Measurand

KeyKind: TypeAlias = Literal["int", "bool", "str", "csl"]

MEASURANDS: frozenset[str] = frozenset(m.value for m in Measurand)
FEATURE_PROFILES: frozenset[str] = frozenset(
    {
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    }
)
PHASE_ROTATIONS: frozenset[str] = frozenset(
    {"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"}
)

MAX_VALUE_LENGTH = 500  # KeyValue.value is CiString500Type
_INT = re.compile(r"[+-]?[0-9]{1,18}")


@dataclass(frozen=True)
class KeyDef:
    """One configuration key.

    `min`/`max` bound an int's value, and a str's length. `allowed` lists the values a str may
    take, or the members a csl may hold. A csl holds at most `max_items` members, or the value of
    the key `<name>MaxLength` when one is defined. A `secret` key is write-only: GetConfiguration
    lists it without its value.
    """

    name: str
    kind: KeyKind
    default: str
    readonly: bool = False
    reboot_required: bool = False
    min: int | None = None
    max: int | None = None
    allowed: frozenset[str] | None = None
    max_items: int | None = None
    secret: bool = False
    profile: str = "Core"
    description: str = ""


def int_key(
    name: str,
    default: int,
    lo: int,
    hi: int,
    description: str,
    *,
    readonly: bool = False,
    profile: str = "Core",
) -> KeyDef:
    return KeyDef(
        name,
        "int",
        str(default),
        readonly=readonly,
        min=lo,
        max=hi,
        profile=profile,
        description=description,
    )


def bool_key(
    name: str, default: bool, description: str, *, readonly: bool = False, profile: str = "Core"
) -> KeyDef:
    value = "true" if default else "false"
    return KeyDef(name, "bool", value, readonly=readonly, profile=profile, description=description)


def measurands_key(name: str, default: str, max_items: int, description: str) -> KeyDef:
    return KeyDef(
        name, "csl", default, allowed=MEASURANDS, max_items=max_items, description=description
    )


CSL_MAX = 10  # members of each measurand list; see the *MaxLength keys


def canonical(defn: KeyDef, value: str, max_items: int | None) -> str | None:
    """The value as stored and reported, or None when it is not valid for `defn`."""
    if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
        return None
    if defn.kind == "bool":
        lowered = value.strip().lower()
        return lowered if lowered in ("true", "false") else None
    if defn.kind == "int":
        text = value.strip()
        if not _INT.fullmatch(text):
            return None
        number = int(text)
        if (defn.min is not None and number < defn.min) or (
            defn.max is not None and number > defn.max
        ):
            return None
        return str(number)
    if defn.kind == "str":
        if (defn.min is not None and len(value) < defn.min) or (
            defn.max is not None and len(value) > defn.max
        ):
            return None
        if defn.allowed is not None and value not in defn.allowed:
            return None
        return value
    # csl: members separated by commas, spaces around them ignored ("0.RST, 1.RST" in the spec)
    if not value.strip():
        return ""
    members = [member.strip() for member in value.split(",")]
    if any(not member for member in members) or len(set(members)) != len(members):
        return None
    if max_items is not None and len(members) > max_items:
        return None
    if defn.allowed is not None and not set(members) <= defn.allowed:
        return None
    return ",".join(members)


def printable_ascii(value: str) -> bool:
    return all(0x20 <= ord(ch) <= 0x7E for ch in value)
