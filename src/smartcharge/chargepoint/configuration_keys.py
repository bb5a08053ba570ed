"""The OCPP 1.6 configuration keys: what GetConfiguration reads and ChangeConfiguration writes.

The keys are defined in key_catalogue.py (`STANDARD_KEYS`, `UK_KEYS`; what a key is:
key_definitions.py). A `Configuration` holds their values on top of a `SettingsStore` (the
charge point's SQLite store), so a value the CSMS changes survives a restart.

Where a value comes from, strongest first:
1. `overrides` (values fixed by the TOML file or the hardware, e.g. NumberOfConnectors): reported
   read-only and never changeable;
2. a value the CSMS changed, as saved in the store (read-write keys only);
3. `defaults` (starting values from the TOML file, e.g. HeartbeatInterval), still changeable;
4. the key's definition.

Values are strings, as in OCPP. A change is validated completely before anything is saved: a value
that fails is Rejected and changes nothing (R34).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Literal, Protocol, TypeAlias

from smartcharge.chargepoint.key_catalogue import STANDARD_KEYS
from smartcharge.chargepoint.key_definitions import (
    PHASE_ROTATIONS,
    KeyDef,
    KeyKind,
    canonical,
    printable_ascii,
)

__all__ = [
    "ChangeStatus",
    "Configuration",
    "SettingsStore",
    "TooManyKeysError",
    "Validator",
]

_log = logging.getLogger(__name__)

ChangeStatus: TypeAlias = Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]
Validator: TypeAlias = Callable[[str], bool]
"""An extra check on a value already valid for its key's type; gets the canonical value."""


class SettingsStore(Protocol):
    """Where changed values persist (the charge point's SQLite store implements it)."""

    def load_settings(self) -> dict[str, str]: ...

    def save_setting(self, key: str, value: str) -> None: ...


class TooManyKeysError(ValueError):
    """A GetConfiguration asked for more keys than GetConfigurationMaxKeys.

    The OCPP handler answers it with a CALLERROR (OccurenceConstraintViolation).
    """


class Configuration:
    """The configuration keys' values, validated, persisted, and observable.

    `defaults` (keyword-only) are starting values that stay changeable; `overrides` are fixed
    truths, reported read-only. Both must name defined keys and hold valid values, else
    ValueError: they come from our own code, not from the CSMS.
    """

    def __init__(
        self,
        store: SettingsStore,
        definitions: Iterable[KeyDef] = STANDARD_KEYS,
        overrides: Mapping[str, str] | None = None,
        *,
        defaults: Mapping[str, str] | None = None,
    ) -> None:
        self._store = store
        self._defs: dict[str, KeyDef] = {}  # by casefolded name: keys are CiString (OCPP 1.6)
        self._effective: dict[str, str] = {}
        self._pending: dict[str, str] = {}  # saved, waiting for a reboot to take effect
        self._fixed: set[str] = set()
        self._validators: dict[str, list[Validator]] = {}
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._secret_handlers: dict[str, Callable[[str], bool]] = {}
        self._saved = {str(k).casefold(): v for k, v in store.load_settings().items()}
        self._defaults = {k.casefold(): v for k, v in (defaults or {}).items()}
        for definition in definitions:
            self._add(definition)
        for name in self._defaults:
            if name not in self._defs:
                raise ValueError(f"default for an undefined configuration key: {name}")
        for name, value in (overrides or {}).items():
            defn = self._lookup(name)
            if defn is None:
                raise ValueError(f"override for an undefined configuration key: {name}")
            canonical = self._check_type(defn, value)
            if canonical is None:
                raise ValueError(f"override for {defn.name} is not a valid {defn.kind}")
            self._effective[defn.name.casefold()] = canonical
            self._fixed.add(defn.name.casefold())
        if "securityprofile" in self._defs:
            self.add_validator("SecurityProfile", self._not_lower_profile)
        if "authorizationkey" in self._defs:
            self.add_validator("AuthorizationKey", printable_ascii)
        if "connectorphaserotation" in self._defs:
            self.add_validator("ConnectorPhaseRotation", self._phase_rotation)

    # --- definitions ---

    def register(self, definition: KeyDef, validator: Validator | None = None) -> None:
        """Add a key (e.g. RandomisedDelayMaxSeconds), with an optional extra check.

        A value saved for it before (a previous run) is picked up. ValueError for a duplicate
        name or a definition whose default is not valid.
        """
        self._add(definition)
        if validator is not None:
            self.add_validator(definition.name, validator)

    def add_validator(self, name: str, validator: Validator) -> None:
        """Add a check a new value must also pass (all checks must pass). KeyError if unknown."""
        self._validators.setdefault(self._require(name).name.casefold(), []).append(validator)

    def definition(self, name: str) -> KeyDef:
        """The definition of `name` (any case). KeyError if unknown."""
        return self._require(name)

    @property
    def definitions(self) -> tuple[KeyDef, ...]:
        return tuple(self._defs.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._defs

    def is_readonly(self, name: str) -> bool:
        defn = self._require(name)
        return defn.readonly or defn.name.casefold() in self._fixed

    # --- OCPP ---

    def get(self, keys: list[str] | None = None) -> tuple[list[dict[str, str | bool]], list[str]]:
        """GetConfiguration: (configurationKey, unknownKey).

        No keys (None or empty) means all of them. A secret key is listed without a value. A
        key awaiting a reboot shows its new value. TooManyKeysError when more keys are asked
        for than GetConfigurationMaxKeys allows.
        """
        if not keys:
            wanted = list(self._defs.values())
            unknown: list[str] = []
        else:
            limit = self._limit("GetConfigurationMaxKeys")
            if limit is not None and len(keys) > limit:
                raise TooManyKeysError(
                    f"{len(keys)} keys requested; GetConfigurationMaxKeys is {limit}"
                )
            wanted, unknown = [], []
            seen: set[str] = set()
            for key in dict.fromkeys(keys):
                defn = self._lookup(key)
                if defn is None:
                    unknown.append(key)
                elif defn.name not in seen:
                    seen.add(defn.name)
                    wanted.append(defn)
        entries: list[dict[str, str | bool]] = []
        for defn in wanted:
            entry: dict[str, str | bool] = {
                "key": defn.name,
                "readonly": self.is_readonly(defn.name),
            }
            if not defn.secret:
                folded = defn.name.casefold()
                entry["value"] = self._pending.get(folded, self._effective[folded])
            entries.append(entry)
        return entries, unknown

    def change(self, key: str, value: str) -> ChangeStatus:
        """ChangeConfiguration. Anything but Accepted / RebootRequired changes nothing."""
        defn = self._lookup(key)
        if defn is None:
            return "NotSupported"
        if self.is_readonly(defn.name) or not isinstance(value, str):
            return "Rejected"
        folded = defn.name.casefold()
        canonical = self._check_type(defn, value)
        if canonical is None or not self._passes_validators(defn, canonical):
            _log.info("configuration key %s: value rejected", defn.name)
            return "Rejected"
        if defn.secret:
            return self._change_secret(defn, canonical)
        try:
            self._store.save_setting(defn.name, canonical)
        except Exception:
            _log.exception("configuration key %s: could not be saved", defn.name)
            return "Rejected"
        shown = canonical
        if defn.reboot_required:
            self._pending[folded] = canonical
            _log.info("configuration key %s set to %s after a reboot", defn.name, shown)
            return "RebootRequired"
        self._effective[folded] = canonical
        _log.info("configuration key %s set to %s", defn.name, shown)
        for listener in list(self._listeners.get(folded, [])):
            try:
                listener(canonical)
            except Exception:
                _log.exception("configuration key %s: a change listener failed", defn.name)
        return "Accepted"

    def on_secret(self, name: str, handler: Callable[[str], bool]) -> None:
        """Where a secret key's new value goes (e.g. the credential vault): `handler(value)`
        stores it and says whether it did. A secret key without a handler refuses changes:
        a secret is never saved in the plain settings store nor kept here (R32)."""
        defn = self._require(name)
        if not defn.secret:
            raise TypeError(f"configuration key {defn.name} is not secret")
        self._secret_handlers[defn.name.casefold()] = handler

    def _change_secret(self, defn: KeyDef, canonical: str) -> ChangeStatus:
        handler = self._secret_handlers.get(defn.name.casefold())
        try:
            stored = handler is not None and handler(canonical)
        except Exception:
            _log.exception("configuration key %s: could not be stored", defn.name)
            stored = False
        _log.info("configuration key %s %s", defn.name, "changed" if stored else "not changed")
        return "Accepted" if stored else "Rejected"

    def force(self, name: str, value: str) -> None:
        """Set a value our own code decided on, past the CSMS's checks but not the type check
        (the security profile falling back after a failed upgrade). No listener is called."""
        defn = self._require(name)
        canonical = self._check_type(defn, value)
        if canonical is None or defn.secret:
            raise ValueError(f"not a valid value for {defn.name}")
        self._store.save_setting(defn.name, canonical)
        self._effective[defn.name.casefold()] = canonical
        self._pending.pop(defn.name.casefold(), None)
        _log.info("configuration key %s set to %s by the charger", defn.name, canonical)

    # --- typed values (the values in effect now) ---

    def str_value(self, name: str) -> str:
        """The value in effect, as its string, for a key of any kind but a secret one."""
        defn = self._require(name)
        if defn.secret:
            raise TypeError(f"configuration key {defn.name} is secret and write-only")
        return self._effective[defn.name.casefold()]

    def int_value(self, name: str) -> int:
        return int(self._typed(name, "int"))

    def bool_value(self, name: str) -> bool:
        return self._typed(name, "bool") == "true"

    def csl_value(self, name: str) -> list[str]:
        text = self._typed(name, "csl")
        return text.split(",") if text else []

    def on_change(self, name: str, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(new_value)` after each Accepted change of `name`; returns a remover.

        Not called for a RebootRequired change (it takes effect at the next start).
        """
        callbacks = self._listeners.setdefault(self._require(name).name.casefold(), [])
        callbacks.append(callback)

        def remove() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return remove

    # --- internals ---

    def _add(self, defn: KeyDef) -> None:
        folded = defn.name.casefold()
        if not defn.name or folded in self._defs:
            raise ValueError(f"configuration key defined twice or unnamed: {defn.name!r}")
        if len(defn.name) > 50:
            raise ValueError(f"configuration key name longer than 50 characters: {defn.name}")
        if defn.kind not in ("int", "bool", "str", "csl"):
            raise ValueError(f"configuration key {defn.name}: unknown kind {defn.kind!r}")
        self._defs[folded] = defn
        try:
            start = self._initial(defn)
        except ValueError:
            del self._defs[folded]
            raise
        self._effective[folded] = start

    def _initial(self, defn: KeyDef) -> str:
        folded = defn.name.casefold()
        default = self._check_type(defn, defn.default)
        if default is None and not (defn.secret and defn.default == ""):  # "" = secret not set
            raise ValueError(f"configuration key {defn.name}: default is not a valid {defn.kind}")
        value = defn.default if default is None else default
        if folded in self._defaults:
            given = self._check_type(defn, self._defaults[folded])
            if given is None:
                raise ValueError(f"default for {defn.name} is not a valid {defn.kind}")
            value = given
        if not defn.readonly and not defn.secret and folded in self._saved:
            saved = self._check_type(defn, self._saved[folded])
            if saved is None:
                _log.warning("configuration key %s: saved value is not valid, ignored", defn.name)
            else:
                value = saved
        return value

    def _check_type(self, defn: KeyDef, value: str) -> str | None:
        try:
            return canonical(defn, value, self._max_items(defn))
        except Exception:  # a malformed value must never escape as an exception
            return None

    def _passes_validators(self, defn: KeyDef, canonical: str) -> bool:
        for validator in self._validators.get(defn.name.casefold(), []):
            try:
                if not validator(canonical):
                    return False
            except Exception:
                _log.exception("configuration key %s: a validator failed", defn.name)
                return False
        return True

    def _max_items(self, defn: KeyDef) -> int | None:
        if defn.kind != "csl":
            return None
        limit = self._limit(f"{defn.name}MaxLength")
        return limit if limit is not None else defn.max_items

    def _limit(self, name: str) -> int | None:
        folded = name.casefold()
        defn = self._defs.get(folded)
        if defn is None or defn.kind != "int" or folded not in self._effective:
            return None
        return int(self._effective[folded])

    def _lookup(self, name: object) -> KeyDef | None:
        return self._defs.get(name.casefold()) if isinstance(name, str) else None

    def _require(self, name: str) -> KeyDef:
        defn = self._lookup(name)
        if defn is None:
            raise KeyError(name)
        return defn

    def _typed(self, name: str, kind: KeyKind) -> str:
        defn = self._require(name)
        if defn.kind != kind:
            raise TypeError(f"configuration key {defn.name} is a {defn.kind}, not a {kind}")
        return self._effective[defn.name.casefold()]

    # built-in checks that need the current values

    def _not_lower_profile(self, value: str) -> bool:
        # Security Whitepaper: the security profile may be raised, never lowered.
        return int(value) >= self.int_value("SecurityProfile")

    def _phase_rotation(self, value: str) -> bool:
        connectors = self.int_value("NumberOfConnectors") if "NumberOfConnectors" in self else 8
        for member in value.split(",") if value else []:
            connector, _, rotation = member.partition(".")
            if not (connector.isascii() and connector.isdigit()) or rotation not in PHASE_ROTATIONS:
                return False
            if int(connector) > connectors:
                return False
        return True
