"""Import the `ocpp` package without loading `jsonschema` until it is used.

The charger uses the `ocpp` package's message dataclasses and enums, and validates frames itself
with validators compiled by fastjsonschema (smartcharge/ocpp/schemas.py). Yet importing anything
under `ocpp.v16` runs that package's `__init__`, which imports `ocpp.messages`, which imports
`jsonschema` at module level: about 3.5 MB of resident memory (jsonschema, referencing, rpds,
attrs) for the life of a process that never calls it (issue 12: a charger under 45 MB).

`defer_jsonschema()` imports `ocpp.messages` while stand-ins take the two names it binds from
`jsonschema`. The stand-ins leave `sys.modules` at once, so anyone else importing `jsonschema`
gets the real one; and the first time `ocpp.messages` builds a validator (the `ocpp` package's own
ChargePoint validating a payload: tests use it as the independent peer) the real `jsonschema` is
imported and both names in `ocpp.messages` are rebound to the real objects. A schema error can only
come from a validator so built, so `ocpp.messages` catches the real exception class as before.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _NotYetLoaded(Exception):
    """Stands for jsonschema's ValidationError until jsonschema is loaded; never raised."""


def _draft4_validator(*args: Any, **kwargs: Any) -> Any:
    """Stands for Draft4Validator: loads jsonschema and puts the real names in place."""
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import ValidationError

    messages = sys.modules["ocpp.messages"]
    # The exception class first: a validator built on another thread must never raise an error
    # that ocpp.messages would not recognise.
    messages.SchemaValidationError = ValidationError  # type: ignore[attr-defined]
    messages.Draft4Validator = Draft4Validator  # type: ignore[attr-defined]
    return Draft4Validator(*args, **kwargs)


def defer_jsonschema() -> None:
    """Import `ocpp.messages` with jsonschema loaded on first use (no-op if either is loaded)."""
    if "ocpp.messages" in sys.modules or "jsonschema" in sys.modules:
        return
    package = types.ModuleType("jsonschema")
    exceptions = types.ModuleType("jsonschema.exceptions")
    package.Draft4Validator = _draft4_validator  # type: ignore[attr-defined]
    exceptions.ValidationError = _NotYetLoaded  # type: ignore[attr-defined]
    package.exceptions = exceptions  # type: ignore[attr-defined]
    sys.modules["jsonschema"] = package
    sys.modules["jsonschema.exceptions"] = exceptions
    try:
        import ocpp.messages  # noqa: F401
    finally:
        for name, stand_in in (("jsonschema", package), ("jsonschema.exceptions", exceptions)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
