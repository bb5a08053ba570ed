"""The station side of the charging decision: gather each connector's facts, ask `charging`,
drive the pilot and contactor with the result; the central system's profiles kept in the store;
the owner's "charge now" and "skip the delay" (R18, R25); the state the owner sees.

The decision itself is pure and lives in chargepoint/charging/.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from smartcharge.chargepoint.charging import (
    Decision,
    OwnerRules,
    SessionFacts,
    Supply,
    session_facts,
)
from smartcharge.chargepoint.connector import MIN_OFFERED_A, Connector
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.metering import (
    MeterReports,
)
from smartcharge.chargepoint.smart_charging.composite import (
    charge_point_cap,
    composite_response,
    composite_schedule,
)
from smartcharge.chargepoint.smart_charging.installed import Limits, allowed_units
from smartcharge.chargepoint.smart_charging.profiles import ProfileError, Purpose, parse_profile
from smartcharge.ocpp import uk_extension
from smartcharge.regulations import DEFAULT_MAX_S, RandomDelay

log = logging.getLogger("smartcharge.chargepoint.station")

PROFILES_KEY = "smart_charging.profiles"
RANDOM_DELAY_KEY = "RandomisedDelayMaxSeconds"  # the UK extension's key (R21-R23)


class ChargeControl(MeterReports):
    """The station's charge control (see the module)."""

    def _sessions(self, now: datetime) -> dict[int, SessionFacts]:
        """Each connector's session as the charging decision needs it (charging/)."""
        out: dict[int, SessionFacts] = {}
        for c in self.connectors.values():
            if c.tx_local_id is None:
                out[c.id] = SessionFacts()
                continue
            out[c.id] = session_facts(
                self.profiles,
                c.id,
                now,
                charging=not self._faulted(c) and not self.tampered,
                started_at=c.tx_started_at,
                transaction_id=self.store.transaction_id(c.tx_local_id),
                phases=self.phases,
                flags_of=self.controls.profile_flags,
                charge_now=self.controls.charge_now_cause(c.tx_local_id),
                skip_delay=self.controls.no_delay_session(c.tx_local_id),
            )
        return out

    def _owner_rules(self) -> OwnerRules:
        return OwnerRules(
            default_hours=self.controls.default_hours(self.random_delay_max()),
            user_schedule=self.controls.user_schedule(),
            dsr_events=self.controls.dsr_events(),
            dsr_opted_out=self.controls.opted_out(),
            clock_trusted=self.clock_trusted(),
        )

    def _supply(self, now: datetime) -> Supply:
        return Supply(
            hardware_max_a=self.max_current_a,
            charge_point_cap_a=charge_point_cap(self.profiles, now, phases=self.phases),
            site_limit_a=self.site_limit_a,
        )

    def _drive(self, c: Connector, decision: Decision, mono: float, peak: bool = False) -> None:
        """Apply a decision to the pilot and contactor, through the randomised delay (`peak`:
        peak hours now, charging.in_peak)."""
        pilot = c.hw.pilot_state()
        if c.tx_local_id is None:
            c.control.idle()
            limit = 0.0
        else:
            changed, delay_started = c.control.step(
                decision,
                mono,
                RandomDelay(self.random_delay_max(), self.rng),
                skip=self.controls.no_delay_session(c.tx_local_id),
                hardware_max_a=self.max_current_a,
                peak=peak,
            )
            if delay_started:
                log.info("connector %s: random delay of %s s", c.id, c.control.rate.drawn_s)
                self._announce_delay(c)
            # R8: whatever was decided, never above the hardware and installation limit.
            limit = 0.0 if self._faulted(c) else min(c.control.applied.limit_a, self.max_current_a)
            if changed or limit != c.limit_a:
                self._storing(
                    "rate changes",
                    self.store.record_rate_change,
                    c.tx_local_id,
                    at=self.clock.now(),
                    limit_a=limit,
                    cause=c.control.applied.cause,
                )
        c.limit_a = limit
        if c.hw.offered_current() != limit:
            c.hw.set_offered_current(limit)
        want_closed = limit >= MIN_OFFERED_A and pilot in (PilotState.C, PilotState.D)
        if c.hw.contactor_closed() != want_closed:
            c.hw.set_contactor(want_closed)
        self._show(c, pilot)

    def random_delay_max(self) -> int:
        try:
            return self.settings.int_value(RANDOM_DELAY_KEY)
        except KeyError:
            return DEFAULT_MAX_S

    def _profile_limits(self) -> Limits:
        try:
            return Limits(
                max_stack_level=self.settings.int_value("ChargeProfileMaxStackLevel"),
                max_profiles=self.settings.int_value("MaxChargingProfilesInstalled"),
                max_periods=self.settings.int_value("ChargingScheduleMaxPeriods"),
                units=allowed_units(
                    self.settings.str_value("ChargingScheduleAllowedChargingRateUnit")
                ),
                connectors=len(self.connectors),
            )
        except KeyError:
            return Limits(connectors=len(self.connectors))

    def save_profiles(self) -> None:
        self.store.save_setting(PROFILES_KEY, self.profiles.dumps())
        self.poke()

    def _install_pending(self, c: Connector) -> None:
        profile_dict, c.pending_profile = c.pending_profile, None
        assert profile_dict is not None and c.tx_local_id is not None
        try:
            profile = parse_profile(profile_dict, remote_start=True)
            self.profiles.install(c.id, profile, transaction_running=True)
        except ProfileError as exc:
            log.warning("the remote start's charging profile was refused: %s", exc)
            return
        self.save_profiles()

    def skip_delay(self, connector_id: int, *, session: bool = False) -> bool:
        """The owner skips the random delay now, or for the rest of the session (R25)."""
        c = self.connectors.get(connector_id)
        if c is None or c.tx_local_id is None:
            return False
        if session:
            self.controls.set_no_delay_session(c.tx_local_id)
        c.control.rate.skip()
        self.poke()
        return True

    def charge_now(self, connector_id: int, *, by: str = "owner") -> bool:
        """The owner (or another end user, `by="end_user"`) overrides the default charging hours
        for this session (R18); NotPermitted on a workplace charger unless the administrator."""
        c = self.connectors.get(connector_id)
        if c is None or c.tx_local_id is None:
            return False
        self.controls.set_charge_now(c.tx_local_id, by=by)
        return True

    def _announce_delay(self, c: Connector) -> None:
        """Tell the central system a delay started, so the owner sees the countdown (R25)."""
        data = {
            "connectorId": c.id,
            "remainingS": c.control.rate.drawn_s,
            "cause": c.control.rate.pending.cause.value if c.control.rate.pending else None,
        }
        payload = uk_extension.data_transfer(uk_extension.RANDOM_DELAY, data)
        self.spawn(self.send_best_effort("DataTransfer", payload))

    def state(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for c in self.connectors.values():
            tx = self.store.transaction_id(c.tx_local_id) if c.tx_local_id is not None else None
            out[c.id] = {
                "status": c.status,
                "transaction_id": tx,
                "local_transaction_id": c.tx_local_id,
                "id_tag": c.tx_id_tag,
                "limit_a": c.limit_a,
                "limit_cause": c.control.applied.cause.value if c.tx_local_id is not None else None,
                "limit_reason": (c.control.rate.pending or c.control.applied).reason,
                "random_delay_remaining_s": round(
                    c.control.rate.remaining_s(self.clock.monotonic())
                ),
                "operative": c.operative and self.operative,
            }
        return out

    # --- the central system's charging profiles (Smart Charging profile) ------------------------
    def set_charging_profile(self, connector_id: int, profile_dict: dict[str, Any]) -> bool:
        """SetChargingProfile: True when installed; a refused profile changes nothing."""
        c = self.connectors.get(connector_id)
        running = c is not None and c.tx_local_id is not None
        try:
            profile = parse_profile(profile_dict)
            if profile.purpose == "TxProfile" and profile.transaction_id is not None and running:
                assert c is not None and c.tx_local_id is not None
                if self.store.transaction_id(c.tx_local_id) != profile.transaction_id:
                    raise ProfileError("transactionId: not the transaction on that connector")
            self.profiles.install(connector_id, profile, transaction_running=running)
        except ProfileError as exc:
            log.info("charging profile rejected: %s", exc)
            return False
        self.save_profiles()
        return True

    def clear_charging_profiles(
        self,
        *,
        id: int | None,
        connector_id: int | None,
        purpose: Purpose | None,
        stack_level: int | None,
    ) -> bool:
        """ClearChargingProfile: True when any profile matched and was removed."""
        cleared = self.profiles.clear(
            id=id, connector_id=connector_id, purpose=purpose, stack_level=stack_level
        )
        if cleared:
            self.save_profiles()
        return cleared

    def composite_schedule(
        self, connector_id: int, duration_s: int, unit: Literal["A", "W"]
    ) -> dict[str, Any]:
        """GetCompositeSchedule's answer for `connector_id` (0: the whole charge point)."""
        if connector_id != 0 and connector_id not in self.connectors:
            return {"status": "Rejected"}
        c = self.connectors.get(connector_id)
        tx_id = None
        if c is not None and c.tx_local_id is not None:
            tx_id = self.store.transaction_id(c.tx_local_id)
        hardware = self.max_current_a if unit == "A" else self.max_current_a * 230.0 * self.phases
        schedule = composite_schedule(
            self.profiles,
            connector_id,
            self.clock.now(),
            duration_s,
            unit,
            c.tx_started_at if c is not None else None,
            tx_id,
            phases=self.phases,
            max_limit=hardware,
        )
        return composite_response(schedule, no_limit=hardware)
