"""The DSR agreement a charger may be sold with (R20): read from a small TOML file.

When a charge point is sold with a demand side response agreement and configured for it, the
off-peak rules R14-R18 do not apply, and the agreement's details go into the statement of
compliance. Every field is required; a bad file is a clear error naming the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

FIELDS = ("provider", "agreement_reference", "signed_on", "services", "configuration")


class DsrAgreementError(ValueError):
    pass


@dataclass(frozen=True)
class DsrAgreement:
    provider: str
    agreement_reference: str
    signed_on: date
    services: str
    configuration: str

    def to_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def read_toml(path: Path, fields: tuple[str, ...], error: type[ValueError]) -> dict[str, Any]:
    """A small TOML file of known fields (also the technical file's declaration); `error`
    naming the file or the first unknown field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from None
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise error(f"{unknown[0]}: not one of the fields {', '.join(fields)}")
    return data


def load(path: Path) -> DsrAgreement:
    data = read_toml(path, FIELDS, DsrAgreementError)
    for name in FIELDS:
        value = data.get(name)
        if name == "signed_on":
            if not isinstance(value, date):
                raise DsrAgreementError("signed_on: a date (YYYY-MM-DD) is required")
        elif not isinstance(value, str) or not value.strip():
            raise DsrAgreementError(f"{name}: a non-empty string is required")
    return DsrAgreement(**{name: data[name] for name in FIELDS})
