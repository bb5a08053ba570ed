"""The charging profiles installed on a charge point, with OCPP 1.6's replacement and clear rules.

`Installed` is an in-memory collection with no I/O: the station persists it (`dumps`/`loads`,
JSON shaped like SetChargingProfile requests) and hands it to the composite schedule functions,
which accept any iterable of `InstalledProfile`.

Rules (OCPP 1.6 sections 3.13.2, 5.5 and 5.16):

- A profile belongs to a connector; connector 0 is the whole charge point. A ChargePointMaxProfile
  lives only on connector 0; a TxProfile only on a connector > 0, and only while a transaction
  runs there; a TxDefaultProfile on connector 0 is the default for every connector, one on
  connector n applies to n alone.
- A new profile replaces any installed profile with the same id (on any connector) and any with
  the same stackLevel and purpose on the same connector; otherwise it is added.
- The limits of the configuration keys ChargeProfileMaxStackLevel, MaxChargingProfilesInstalled,
  ChargingScheduleMaxPeriods and ChargingScheduleAllowedChargingRateUnit are checked.
- A refused profile raises `ProfileError` and leaves the collection as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smartcharge.chargepoint.smart_charging.profiles import (
    ChargingProfile,
    ProfileError,
    Purpose,
    Unit,
    parse_profile,
    to_ocpp,
)

CHARGE_POINT = 0
"""Connector id 0: the charge point as a whole."""

_UNIT_NAMES: dict[str, Unit] = {"Current": "A", "Power": "W"}


def allowed_units(config_value: str) -> frozenset[Unit]:
    """ChargingScheduleAllowedChargingRateUnit ("Current,Power") as a set of units ("A", "W")."""
    names = [n.strip() for n in config_value.split(",") if n.strip()]
    try:
        return frozenset(_UNIT_NAMES[n] for n in names)
    except KeyError as exc:
        raise ValueError(f"unknown charging rate unit {exc.args[0]!r}") from None


@dataclass(frozen=True, slots=True)
class Limits:
    """What this charge point accepts: the SmartCharging configuration keys, and its connectors."""

    max_stack_level: int = 10  # ChargeProfileMaxStackLevel
    max_profiles: int = 20  # MaxChargingProfilesInstalled
    max_periods: int = 48  # ChargingScheduleMaxPeriods
    units: frozenset[Unit] = field(default=frozenset({"A", "W"}))  # ...AllowedChargingRateUnit
    connectors: int | None = None  # number of connectors; None: any connector id is accepted


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    connector_id: int
    profile: ChargingProfile


class Installed:
    """The installed profiles, in the order they were installed."""

    def __init__(self, limits: Limits | None = None, entries: Iterable[InstalledProfile] = ()):
        self.limits = limits or Limits()
        self._entries: list[InstalledProfile] = list(entries)

    def __iter__(self) -> Iterator[InstalledProfile]:
        return iter(tuple(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Installed({self._entries!r})"

    def install(
        self, connector_id: int, profile: ChargingProfile, *, transaction_running: bool = False
    ) -> tuple[InstalledProfile, ...]:
        """Install `profile` on `connector_id` (SetChargingProfile); return what it replaced.

        `transaction_running`: whether a transaction runs on that connector now (a TxProfile is
        refused otherwise). Raises `ProfileError` and changes nothing if the profile is refused.
        """
        self.check(connector_id, profile, transaction_running=transaction_running)
        replaced = tuple(e for e in self._entries if _replaces(connector_id, profile, e))
        kept = [e for e in self._entries if e not in replaced]
        if len(kept) + 1 > self.limits.max_profiles:
            raise ProfileError(
                f"MaxChargingProfilesInstalled: already {len(kept)} profiles installed"
            )
        self._entries = [*kept, InstalledProfile(connector_id, profile)]
        return replaced

    def check(
        self, connector_id: int, profile: ChargingProfile, *, transaction_running: bool = False
    ) -> None:
        """Raise `ProfileError` if `install` would refuse the profile (the count aside)."""
        lim = self.limits
        if connector_id < 0 or (lim.connectors is not None and connector_id > lim.connectors):
            raise ProfileError(f"connectorId: no connector {connector_id}")
        if profile.purpose == "ChargePointMaxProfile" and connector_id != CHARGE_POINT:
            raise ProfileError("connectorId: a ChargePointMaxProfile must be set on connector 0")
        if profile.purpose == "TxProfile":
            if connector_id == CHARGE_POINT:
                raise ProfileError("connectorId: a TxProfile must be set on a connector > 0")
            if not transaction_running:
                raise ProfileError(f"connectorId: no transaction on connector {connector_id}")
        if profile.stack_level > lim.max_stack_level:
            raise ProfileError(
                f"stackLevel: above ChargeProfileMaxStackLevel ({lim.max_stack_level})"
            )
        if len(profile.schedule.periods) > lim.max_periods:
            raise ProfileError(
                "chargingSchedule.chargingSchedulePeriod: more than ChargingScheduleMaxPeriods "
                f"({lim.max_periods})"
            )
        if profile.schedule.unit not in lim.units:
            raise ProfileError(
                "chargingSchedule.chargingRateUnit: not in ChargingScheduleAllowedChargingRateUnit"
            )

    def clear(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """ClearChargingProfile: remove the matching profiles; True if any was removed.

        With `id`, the profile with that id is removed and the other criteria are ignored.
        Otherwise every criterion given must match (connector 0 means the charge point's own
        profiles, not all connectors); with no criterion at all, every profile is removed.
        """

        def matches(e: InstalledProfile) -> bool:
            if id is not None:
                return e.profile.id == id
            return (
                (connector_id is None or e.connector_id == connector_id)
                and (purpose is None or e.profile.purpose == purpose)
                and (stack_level is None or e.profile.stack_level == stack_level)
            )

        return self._remove(matches)

    def end_transaction(self, connector_id: int) -> bool:
        """The transaction on `connector_id` ended: its TxProfiles are deleted (section 3.13.2)."""
        return self._remove(
            lambda e: e.connector_id == connector_id and e.profile.purpose == "TxProfile"
        )

    def prune(self, now: datetime) -> bool:
        """Remove the profiles that can never apply again at or after `now`; True if any was."""
        return self._remove(lambda e: expired(e.profile, now))

    def _remove(self, doomed: Callable[[InstalledProfile], bool]) -> bool:
        kept = [e for e in self._entries if not doomed(e)]
        removed = len(kept) != len(self._entries)
        self._entries = kept
        return removed

    # --- persistence ---

    def dumps(self) -> str:
        """JSON: a list of SetChargingProfile request payloads, in installation order."""
        return json.dumps(
            [
                {"connectorId": e.connector_id, "csChargingProfiles": to_ocpp(e.profile)}
                for e in self
            ]
        )

    @classmethod
    def loads(cls, text: str, limits: Limits | None = None) -> Installed:
        """The collection `dumps` wrote. Raises `ProfileError` if `text` is not such a list."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ProfileError("stored profiles: not JSON") from None
        if not isinstance(data, list):
            raise ProfileError("stored profiles: not a list")
        entries = []
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("connectorId"), int):
                raise ProfileError("stored profiles: an entry without a connectorId")
            entries.append(
                InstalledProfile(
                    item["connectorId"], parse_profile(item.get("csChargingProfiles") or {})
                )
            )
        return cls(limits, entries)


def expired(profile: ChargingProfile, now: datetime) -> bool:
    """Whether `profile` cannot apply at `now` or later (validTo passed, Absolute schedule over)."""
    if profile.valid_to is not None and profile.valid_to <= now:
        return True
    s = profile.schedule
    if profile.kind == "Absolute" and s.start_schedule is not None and s.duration is not None:
        return s.start_schedule + timedelta(seconds=s.duration) <= now
    return False


def _replaces(connector_id: int, new: ChargingProfile, old: InstalledProfile) -> bool:
    return old.profile.id == new.id or (
        old.connector_id == connector_id
        and old.profile.purpose == new.purpose
        and old.profile.stack_level == new.stack_level
    )
