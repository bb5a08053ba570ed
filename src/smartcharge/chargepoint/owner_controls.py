"""What the owner (and the central system on the owner's behalf) has decided, persisted.

- The default charging hours (R14-R16): until the owner answers the first-use offer the defaults
  apply; the answer (accept, remove, or custom hours) is recorded with its time, and can be
  changed at any time. In workplace mode only the administrator may change them.
- Per-session overrides: "charge now" (R18) and "no delay this session" (R25).
- DSR events received (R4) and the ones the owner opted out of (R19).
- Flags a central system sent for its profiles (already randomised; tariff rather than a plain
  profile), so its changes get the right cause (R26).
- The owner's own charging schedule (`user_schedule`): weekly windows, and optionally a current
  limit inside them, that can only narrow what the default hours allow.
- A DSR agreement the charger was sold and configured with (R20): the default hours then do not
  apply unless the owner sets hours of their own.

Everything is in the store's settings table, so it survives a restart and needs no network (R7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from smartcharge.chargepoint.charging import DsrEvent, ProfileFlags
from smartcharge.chargepoint.store import Store
from smartcharge.ocpp.times import format_time, parse_time
from smartcharge.regulations import Cause, WeeklySchedule, default_schedule

MODES = ("default", "custom", "removed")


@dataclass(frozen=True, slots=True)
class DsrAgreement:
    """R20: the DSR agreement the charger is sold with (from the installer's config); its details
    go into the statement of compliance."""

    provider: str
    reference: str
    description: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "provider": self.provider,
            "reference": self.reference,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class UserSchedule:
    """The owner's plan: charge only inside `windows` (UK time), at most `limit_a` there."""

    windows: WeeklySchedule
    limit_a: float | None
    set_at: datetime
    set_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "windows": self.windows.to_records(),
            "limitA": self.limit_a,
            "setAt": format_time(self.set_at, "auto"),
            "setBy": self.set_by,
        }


class NotPermitted(Exception):
    """The requester may not make this change (workplace mode: administrators only)."""


@dataclass(frozen=True, slots=True)
class DefaultHoursState:
    mode: str  # default | custom | removed
    answered_at: datetime | None  # None: the first-use offer is not answered yet
    answered_by: str | None
    custom: WeeklySchedule | None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "answeredAt": format_time(self.answered_at, "auto") if self.answered_at else None,
            "answeredBy": self.answered_by,
            "windows": self.custom.to_records() if self.custom else None,
        }


class OwnerControls:
    def __init__(
        self, store: Store, *, workplace: bool = False, dsr_agreement: DsrAgreement | None = None
    ) -> None:
        self.store = store
        self.workplace = workplace
        self.dsr_agreement = dsr_agreement
        # The station asks every tick; this object is the only writer of these keys, so what
        # it last read or wrote is what the store holds. Values are JSON-decoded once.
        self._cache: dict[str, Any] = {}
        self._schedule: tuple[Any, int, WeeklySchedule | None] | None = None
        self._user_schedule: tuple[Any, UserSchedule | None] | None = None
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` after every change is stored: the one path by which an owner's change
        reaches the station (it re-decides at once), whichever adapter made it."""
        self._listeners.append(callback)

    def _get(self, key: str, default: Any) -> Any:
        if key not in self._cache:
            raw = self.store.setting(key)
            self._cache[key] = None if raw is None else orjson.loads(raw)
        value = self._cache[key]
        return default if value is None else value

    def _put(self, key: str, value: Any) -> None:
        self.store.save_setting(key, orjson.dumps(value).decode())
        self._cache[key] = orjson.loads(orjson.dumps(value))  # a copy the caller cannot mutate
        for callback in self._listeners:
            callback()

    # --- default charging hours ----------------------------------------------------------------
    def default_hours_state(self) -> DefaultHoursState:
        d = self._get("owner.default_hours", None)
        if d is None:
            # R20: under a DSR agreement the defaults are off until the owner sets hours.
            mode = "removed" if self.dsr_agreement is not None else "default"
            return DefaultHoursState(mode, None, None, None)
        custom = WeeklySchedule.from_records(d["windows"]) if d.get("windows") else None
        answered = parse_time(d["answeredAt"]) if d.get("answeredAt") else None
        return DefaultHoursState(d["mode"], answered, d.get("answeredBy"), custom)

    def default_hours(self, random_delay_max_s: int) -> WeeklySchedule | None:
        """The schedule in force; None when the owner removed the default hours."""
        raw = self._get("owner.default_hours", None)
        if self._schedule is not None and self._schedule[:2] == (raw, random_delay_max_s):
            return self._schedule[2]
        schedule = self._build_default_hours(random_delay_max_s)
        self._schedule = (raw, random_delay_max_s, schedule)
        return schedule

    def _build_default_hours(self, random_delay_max_s: int) -> WeeklySchedule | None:
        state = self.default_hours_state()
        if state.mode == "removed":
            return None
        if state.mode == "custom" and state.custom is not None:
            return state.custom
        return default_schedule(random_delay_max_s)

    def _check_may_change(self, by: str) -> None:
        if self.workplace and by != "administrator":
            raise NotPermitted("on a workplace charger only the administrator may change this")

    def set_default_hours(
        self,
        mode: str,
        *,
        now: datetime,
        by: str,
        windows: list[dict[str, Any]] | None = None,
    ) -> DefaultHoursState:
        """Accept ("default"), remove, or set custom hours; ValueError for bad windows."""
        if mode not in MODES:
            raise ValueError(f"mode: must be one of {', '.join(MODES)}")
        self._check_may_change(by)
        custom = None
        if mode == "custom":
            if not windows:
                raise ValueError("windows: custom hours need at least one window")
            custom = WeeklySchedule.from_records(windows)  # ValueError names the field
        state = DefaultHoursState(mode, now, by, custom)
        self._put("owner.default_hours", state.to_json())
        return state

    # --- the owner's own schedule --------------------------------------------------------------
    def user_schedule(self) -> UserSchedule | None:
        raw = self._get("owner.user_schedule", None)
        if self._user_schedule is not None and self._user_schedule[0] is raw:
            return self._user_schedule[1]
        parsed = None
        if raw is not None:
            parsed = UserSchedule(
                WeeklySchedule.from_records(raw["windows"]),
                raw["limitA"],
                parse_time(raw["setAt"]),
                raw["setBy"],
            )
        self._user_schedule = (raw, parsed)
        return parsed

    def set_user_schedule(
        self,
        windows: list[dict[str, Any]] | None,
        *,
        limit_a: float | None = None,
        now: datetime,
        by: str,
    ) -> UserSchedule | None:
        """Set the owner's schedule, or remove it with no windows; ValueError for bad input."""
        self._check_may_change(by)
        if not windows:
            self._put("owner.user_schedule", None)
            return None
        if limit_a is not None and not 0 <= limit_a <= 1000:
            raise ValueError("limitA: must be 0..1000 A")
        schedule = UserSchedule(WeeklySchedule.from_records(windows), limit_a, now, by)
        self._put("owner.user_schedule", schedule.to_json())
        return schedule

    # --- per-session overrides -----------------------------------------------------------------
    def _session_set(self, key: str) -> set[int]:
        return set(self._get(key, []))

    def charge_now(self, local_id: int) -> bool:
        return self.charge_now_cause(local_id) is not None

    def charge_now_cause(self, local_id: int) -> Cause | None:
        """Who said "charge now" for this session (R18, R26): the owner, another end user, or
        nobody (None)."""
        if local_id in self._session_set("owner.charge_now"):
            return Cause.OWNER_OVERRIDE
        if local_id in self._session_set("owner.charge_now_end_user"):
            return Cause.END_USER_OVERRIDE
        return None

    def set_charge_now(self, local_id: int, *, by: str = "owner") -> None:
        """`by`: owner, administrator, or end_user (another relevant person: a household member,
        a guest). On a workplace charger only the administrator may override the defaults."""
        self._check_may_change(by)
        key = "owner.charge_now_end_user" if by == "end_user" else "owner.charge_now"
        self._put(key, sorted(self._session_set(key) | {local_id}))

    def no_delay_session(self, local_id: int) -> bool:
        return local_id in self._session_set("owner.no_delay")

    def set_no_delay_session(self, local_id: int) -> None:
        self._put("owner.no_delay", sorted(self._session_set("owner.no_delay") | {local_id}))

    def end_session(self, local_id: int) -> None:
        for key in ("owner.charge_now", "owner.charge_now_end_user", "owner.no_delay"):
            ids = self._session_set(key)
            if local_id in ids:
                self._put(key, sorted(ids - {local_id}))

    # --- DSR events ----------------------------------------------------------------------------
    def dsr_events(self) -> tuple[DsrEvent, ...]:
        return tuple(
            DsrEvent(
                e["id"],
                "response" if e["kind"] == "response" else "scheduled",
                float(e["limitA"]),
                parse_time(e["start"]),
                parse_time(e["end"]),
                bool(e.get("alreadyRandomised", False)),
            )
            for e in self._get("dsr.events", [])
        )

    def add_dsr_event(self, ev: DsrEvent) -> None:
        events = [e for e in self._get("dsr.events", []) if e["id"] != ev.event_id]
        events.append(
            {
                "id": ev.event_id,
                "kind": ev.kind,
                "limitA": ev.limit_a,
                "start": format_time(ev.start, "auto"),
                "end": format_time(ev.end, "auto"),
                "alreadyRandomised": ev.already_randomised,
            }
        )
        self._put("dsr.events", events)

    def opted_out(self) -> frozenset[str]:
        return frozenset(self._get("dsr.opted_out", []))

    def opt_out(self, event_id: str) -> bool:
        if event_id not in {e.event_id for e in self.dsr_events()}:
            return False
        self._put("dsr.opted_out", sorted(self.opted_out() | {event_id}))
        return True

    def prune_dsr(self, now: datetime) -> None:
        live = [e for e in self._get("dsr.events", []) if parse_time(e["end"]) > now]
        if len(live) != len(self._get("dsr.events", [])):
            ids = {e["id"] for e in live}
            self._put("dsr.events", live)
            self._put("dsr.opted_out", sorted(self.opted_out() & ids))

    # --- flags for central-system profiles -----------------------------------------------------
    def profile_flags(self, profile_id: int) -> ProfileFlags:
        d = self._get("profile.flags", {}).get(str(profile_id))
        if d is None:
            return ProfileFlags()
        return ProfileFlags(Cause(d["cause"]), bool(d["alreadyRandomised"]))

    def set_profile_flags(self, profile_id: int, flags: ProfileFlags) -> None:
        all_flags = self._get("profile.flags", {})
        all_flags[str(profile_id)] = {
            "cause": flags.cause.value,
            "alreadyRandomised": flags.already_randomised,
        }
        self._put("profile.flags", all_flags)
