"""A tick's decisions for all connectors (`targets`) and each connector's controller, on plain
values: R8 over R24 (the caps hold while a delay keeps an old rate), R24 power_restore."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from smartcharge.chargepoint.charging import (
    ConnectorController,
    Decision,
    DsrEvent,
    OwnerRules,
    SessionFacts,
    Supply,
    profile_flags_id,
    targets,
    within_caps,
)
from smartcharge.chargepoint.smart_charging.installed import InstalledProfile
from smartcharge.chargepoint.smart_charging.profiles import parse_profile
from smartcharge.platform.services.site_balancer import FALLBACK_ID, LIVE_ID, max_profile
from smartcharge.regulations import Cause, RandomDelay

SATURDAY_NOON = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)  # inside the default hours
CHARGING = SessionFacts(in_session=True, charging=True)


def charging_at(amps: float) -> ConnectorController:
    c = ConnectorController()
    c.session_started()
    c.rate.applied = Decision(amps, Cause.PLUG_IN, f"charging at {amps:g} A")
    return c


def test_R8_the_others_share_only_what_a_held_rate_leaves_of_the_cap() -> None:
    decisions = {
        1: Decision(10.0, Cause.DSR, "reduced", dsr_kind="scheduled"),
        2: Decision(32.0, Cause.OWNER_OVERRIDE, "charging now"),
    }
    out = within_caps(decisions, held={1: 32.0}, cap_a=40.0)
    assert out[1] == decisions[1]  # its delay holds it at 32 A: it is not shared again
    assert out[2].limit_a == 8.0 and out[2].cause is Cause.LOAD_BALANCING


def test_no_cap_or_nothing_held_changes_nothing() -> None:
    decisions = {1: Decision(32.0, Cause.PLUG_IN, "x"), 2: Decision(32.0, Cause.PLUG_IN, "y")}
    assert within_caps(decisions, held={}, cap_a=40.0) == decisions
    assert within_caps(decisions, held={1: 32.0}, cap_a=None) == decisions


def test_R8_R24_a_delayed_decrease_holds_and_the_other_connector_is_capped() -> None:
    """Connector 1's scheduled DSR decrease waits for its random delay (R24) and keeps 32 A;
    connector 2, whose owner said "charge now", gets only what the 40 A site limit leaves."""
    controllers = {1: charging_at(32.0), 2: charging_at(0.0)}
    sessions = {
        1: CHARGING,
        2: SessionFacts(in_session=True, charging=True, charge_now=Cause.OWNER_OVERRIDE),
    }
    dsr = DsrEvent("e", "scheduled", 10.0, SATURDAY_NOON, SATURDAY_NOON.replace(hour=12))
    owner = OwnerRules(default_hours=None, dsr_events=(dsr,))
    out = targets(SATURDAY_NOON, 0.0, sessions, controllers, owner, Supply(32.0, None, 40.0))
    assert out[1].limit_a == 10.0  # the decision; the delay decides when it applies
    assert out[2].limit_a == 8.0 and out[2].cause is Cause.LOAD_BALANCING
    changed, started = controllers[1].step(
        out[1], 0.0, RandomDelay(600, random.Random(1)), skip=False, hardware_max_a=32.0
    )
    assert (changed, started) == (False, True) and controllers[1].applied.limit_a == 32.0


def test_R24_the_first_energy_after_a_power_cut_is_a_power_restore() -> None:
    c = ConnectorController()
    c.session_started()
    c.restoring = True
    decision = Decision(32.0, Cause.PLUG_IN, "charging at the 32 A limit")
    changed, started = c.step(
        decision, 0.0, RandomDelay(600, random.Random(3)), skip=False, hardware_max_a=32.0
    )
    assert (changed, started) == (False, True)
    assert c.rate.pending is not None and c.rate.pending.cause is Cause.POWER_RESTORE
    assert c.rate.pending.reason == "power restored: charging at the 32 A limit"
    c.rate.skip()
    changed, _ = c.step(decision, 1.0, RandomDelay(600), skip=False, hardware_max_a=32.0)
    assert changed and c.applied.cause is Cause.POWER_RESTORE and c.applied.limit_a == 32.0
    c.step(decision, 2.0, RandomDelay(600), skip=False, hardware_max_a=32.0)
    assert not c.restoring  # energy flows: from the next tick on, changes are ordinary ones


def test_idle_connectors_decide_nothing() -> None:
    controllers = {1: ConnectorController()}
    out = targets(
        SATURDAY_NOON,
        0.0,
        {1: SessionFacts()},
        controllers,
        OwnerRules(default_hours=None),
        Supply(32.0),
    )
    assert out[1].limit_a == 0.0 and out[1].reason == "no session"


def test_R17_R24_a_default_hours_stop_is_delayed_but_never_into_peak() -> None:
    """The stop at the end of the default hours is a relevant time (R24), but a delay that
    would still hold the rate when peak hours begin ends there (R17): with the maximum raised
    late in the window, the window's early end no longer covers the whole delay."""
    stop = Decision(0.0, Cause.DEFAULT_HOURS, "waiting for the default charging hours")
    c = charging_at(32.0)
    delay = RandomDelay(1800, random.Random(3))
    changed, started = c.step(stop, 0.0, delay, skip=False, hardware_max_a=32.0, peak=False)
    assert (changed, started) == (False, True) and c.rate.drawn_s > 60  # the stop waits
    assert c.held_a(stop, 60.0, CHARGING, 32.0, peak=False) == 32.0
    # Peak begins while the delay still runs: the held rate drops at once.
    assert c.held_a(stop, 60.0, CHARGING, 32.0, peak=True) is None
    changed, _ = c.step(stop, 60.0, delay, skip=False, hardware_max_a=32.0, peak=True)
    assert changed and c.applied.limit_a == 0.0


def test_R24_in_peak_hours_only_the_default_hours_stop_skips_its_delay() -> None:
    """Other decreases in peak hours (a scheduled DSR event) still wait for their delay."""
    dsr = Decision(10.0, Cause.DSR, "reduced by a grid event", dsr_kind="scheduled")
    c = charging_at(32.0)
    delay = RandomDelay(1800, random.Random(3))
    changed, started = c.step(dsr, 0.0, delay, skip=False, hardware_max_a=32.0, peak=True)
    assert (changed, started) == (False, True) and c.applied.limit_a == 32.0


def test_R8_R24_a_charge_point_max_profiles_flags_count_when_nothing_more_specific_is_there() -> (
    None
):
    """A central system balancing a site caps each charger with ChargePointMaxProfiles flagged
    `load_balancing` (services/site_balancer.py): their flags describe the change, so a cut is
    not delayed; a TxDefaultProfile or TxProfile, more specific, still wins."""

    def entry(purpose: str, profile_id: int, level: int, connector: int) -> InstalledProfile:
        request = max_profile(profile_id, level, 10.0, SATURDAY_NOON)
        d = {**request["csChargingProfiles"], "chargingProfilePurpose": purpose}
        return InstalledProfile(connector, parse_profile(d))

    site = [
        entry("ChargePointMaxProfile", FALLBACK_ID, 1, 0),
        entry("ChargePointMaxProfile", LIVE_ID, 2, 0),
    ]
    assert profile_flags_id(site, 1) == LIVE_ID  # the highest stack level
    assert profile_flags_id(site[:1], 1) == FALLBACK_ID
    tx_default = entry("TxDefaultProfile", 40, 0, 1)
    assert profile_flags_id([*site, tx_default], 1) == 40
