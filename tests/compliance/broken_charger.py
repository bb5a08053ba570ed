"""Our charge point with one deliberate fault switched on: the test doubles of deliverable 3.

    python broken_charger.py FAULT --config cp.toml

runs `smartcharge chargepoint run` with FAULT injected by patching one function in this process
only (nothing in src changes). The faults (FAULTS) are the ones the compliance suite must
catch: the table of broken chargers in docs/compliance.md says what each does and which rules it
breaks.

`observe` switches no fault on: it watches all of them and writes, next to the charger's
config, the faults that would have changed an answer; test_broken_chargers.py checks that each
double runs wherever its fault fires (compliance_doubles.FIRES).
"""

from __future__ import annotations

import dataclasses
import random
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import broken_faults
from broken_faults import MORE_FAULTS
from broken_smart import SMART_FAULTS

FAULTS = (
    "peak",
    "no-delay",
    "delay-dsr",
    "unsigned-firmware",
    "default-password",
    "delay-under-60",
    "max-1801",
    "scheduled-dsr-undelayed",
    "unclamped",
    "authorization-key-readable",
    "no-tamper-event",
    "owner-tls10",
    "peak-fridays",
    "charge-now-ignored",
    "security-log-editable",
    "energy-high",
    "power-every-60s",
    "offline-session-lost",
    "delay-clock-seeded",
    *MORE_FAULTS,
    *SMART_FAULTS,
)


@dataclasses.dataclass(frozen=True)
class Patch:
    owner: Any  # the module or class whose attribute is replaced
    name: str
    faulty: Callable[[Callable[..., Any]], Callable[..., Any]]  # original -> faulty version
    # How two outcomes (("ok", value) or ("raise", None)) are compared for the observer.
    same: Callable[[tuple[str, Any], tuple[str, Any]], bool] = lambda a, b: a == b
    # For a fault that acts by a side effect: whether it would act on these arguments (the
    # observer asks this instead of running the faulty version).
    fires: Callable[..., bool] | None = None


def _raised_alike(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0]


def patches(fault: str) -> list[Patch]:
    if fault == "peak":
        from smartcharge.chargepoint.charging import decision

        return [Patch(decision, "allowed", lambda orig: lambda schedule, when: True)]
    if fault == "no-delay":
        from smartcharge.regulations.random_delay import RandomDelay

        return [Patch(RandomDelay, "draw", lambda orig: lambda self: 0)]
    if fault == "delay-dsr":
        from smartcharge.chargepoint.charging import delayed_rate

        def delaying_dsr(delay_for: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def delay_for_delaying_dsr(change: Any) -> Any:
                if change.dsr_kind is not None:
                    change = dataclasses.replace(change, dsr_kind="scheduled")
                return delay_for(change)

            return delay_for_delaying_dsr

        return [Patch(delayed_rate, "delay_for", delaying_dsr)]
    if fault == "unsigned-firmware":
        from smartcharge.chargepoint import firmware, firmware_slots

        def no_check(orig: Callable[..., Any]) -> Callable[..., Any]:
            return lambda *args: None  # every image passes: nothing is looked at

        return [
            Patch(firmware, "verify", no_check, _raised_alike),
            Patch(firmware, "check_signing_certificate", no_check, _raised_alike),
            Patch(firmware_slots, "verify", no_check, _raised_alike),
        ]
    if fault == "default-password":
        from smartcharge.chargepoint.security.connection import ConnectionSecurity

        return [Patch(ConnectionSecurity, "password", lambda orig: lambda self: DEFAULT_PASSWORD)]
    more = _more_patches(fault)
    if more is not None:
        return more
    raise SystemExit(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}, observe")


def _more_patches(fault: str) -> list[Patch] | None:
    if fault == "delay-under-60":
        from smartcharge.regulations.random_delay import RandomDelay

        def under_60(orig: Callable[..., Any]) -> Callable[..., Any]:
            def draw(self: Any) -> int:
                drawn = int(orig(self))
                # Random, but never a minute or more (and 0 only as often as ours): not uniform.
                return 0 if drawn == 0 else 1 + drawn % 59

            return draw

        return [Patch(RandomDelay, "draw", under_60)]
    if fault == "max-1801":
        from smartcharge.chargepoint import configuration_keys

        def accept_1801(orig: Callable[..., Any]) -> Callable[..., Any]:
            def canonical(defn: Any, value: Any, max_items: Any) -> Any:
                if defn.name == "RandomisedDelayMaxSeconds" and str(value).strip() == "1801":
                    return "1800"  # accepted (and quietly kept at 1800)
                return orig(defn, value, max_items)

            return canonical

        return [Patch(configuration_keys, "canonical", accept_1801)]
    if fault == "scheduled-dsr-undelayed":
        from smartcharge.chargepoint.charging import delayed_rate

        def undelayed(delay_for: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def delay_for_scheduled_at_once(change: Any) -> Any:
                if change.dsr_kind == "scheduled":
                    change = dataclasses.replace(change, dsr_kind="response")
                return delay_for(change)

            return delay_for_scheduled_at_once

        return [Patch(delayed_rate, "delay_for", undelayed)]
    if fault == "unclamped":
        # Where they are used (imported there by name, maybe before this patch).
        from smartcharge.chargepoint import charge_control
        from smartcharge.chargepoint.charging import controller

        return [
            Patch(charge_control, "composite_schedule", _uncapped_schedule),
            Patch(controller, "limit_at", _uncapped_limit),
        ]
    if fault == "authorization-key-readable":
        from smartcharge.chargepoint.configuration_keys import Configuration

        return [Patch(Configuration, "get", _key_shown)]
    if fault == "no-tamper-event":
        from smartcharge.chargepoint.security.boot_security import BootSecurity

        def unlogged(orig: Callable[..., Any]) -> Callable[..., Any]:
            def tamper(self: Any, description: str) -> None:
                if self.tamper_stops_charging:  # it stops charging, but logs nothing
                    self.station.tamper(description)

            return tamper

        return [Patch(BootSecurity, "tamper", unlogged, lambda a, b: False)]
    if fault == "owner-tls10":
        from smartcharge.chargepoint.owner_api import tls

        def old_tls(orig: Callable[..., Any]) -> Callable[..., Any]:
            def server_context(cert_file: Any, key_file: Any) -> Any:
                ctx = orig(cert_file, key_file)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                return ctx

            return server_context

        def same_floor(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
            return a[0] == b[0] and getattr(a[1], "minimum_version", None) == getattr(
                b[1], "minimum_version", None
            )

        return [Patch(tls, "server_context", old_tls, same_floor)]
    return _charging_and_log_patches(fault)


def _charging_and_log_patches(fault: str) -> list[Patch] | None:
    if fault == "peak-fridays":
        from smartcharge.chargepoint.charging import decision
        from smartcharge.regulations import UK_TZ

        def friday_off(orig: Callable[..., Any]) -> Callable[..., Any]:
            def allowed(schedule: Any, when: Any) -> bool:
                return when.astimezone(UK_TZ).weekday() == 4 or bool(orig(schedule, when))

            return allowed

        return [Patch(decision, "allowed", friday_off)]
    if fault == "charge-now-ignored":
        from smartcharge.chargepoint.owner_controls import OwnerControls

        # The override is stored (and answered Accepted) but never acted on.
        return [Patch(OwnerControls, "charge_now_cause", lambda orig: lambda self, local_id: None)]
    if fault == "security-log-editable":
        from smartcharge.chargepoint.security.security_log import SecurityLog

        def always_intact(orig: Callable[..., Any]) -> Callable[..., Any]:
            def verify(self: Any) -> Any:
                found = orig(self)
                return dataclasses.replace(found, ok=True, bad_seq=None, problem="")

            return verify

        return [Patch(SecurityLog, "verify", always_intact)]
    return _measuring_patches(fault)


def _measuring_patches(fault: str) -> list[Patch] | None:
    if fault == "energy-high":
        from smartcharge.chargepoint import metering

        def high(orig: Callable[..., Any]) -> Callable[..., Any]:
            def sampled_values(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
                out = orig(*args, **kwargs)
                for sv in out:
                    if sv["measurand"] == "Energy.Active.Import.Register":
                        sv["value"] = f"{float(sv['value']) * 1.15:.0f}"
                return out

            return sampled_values

        return [Patch(metering, "sampled_values", high)]
    if fault == "power-every-60s":
        from smartcharge.chargepoint.metering import MeterReports

        return [Patch(MeterReports, "_sample_interval", lambda o: lambda me: max(60.0, o(me)))]
    if fault == "offline-session-lost":
        from smartcharge.chargepoint.link import Link

        def forgetful(orig: Callable[..., Any]) -> Callable[..., Any]:
            def on_network(self: Any, up: bool) -> None:
                while up and (item := self.store.outbox_head()) is not None:
                    self.store.outbox_drop(item.seq)  # back online: the queue "starts afresh"
                orig(self, up)

            return on_network

        def queued(self: Any, up: bool) -> bool:
            return up and self.store.outbox_head() is not None

        return [Patch(Link, "on_network", forgetful, fires=queued)]
    if fault == "delay-clock-seeded":
        from smartcharge.chargepoint.charging.delayed_rate import DelayedRate
        from smartcharge.regulations.random_delay import RandomDelay

        def seeded(orig: Callable[..., Any]) -> Callable[..., Any]:
            def step(self: Any, target: Any, mono: float, delay: Any, **kw: Any) -> bool:
                # Uniform over 0..max for draws seconds apart, but one value for a whole second
                # of its (monotonic) clock: connectors changing in one tick draw the same delay.
                by_clock = RandomDelay(delay.max_s, random.Random(int(mono)))
                return orig(self, target, mono, by_clock, **kw)

            return step

        def draws(self: Any, target: Any, mono: float, delay: Any, **kw: Any) -> bool:
            """Whether this step draws a delay (DelayedRate.step, without changing anything)."""
            return (
                delay.max_s > 0
                and self.deadline is None
                and abs(target.limit_a - self.applied.limit_a) >= 0.1
                and self._delayed(
                    target, kw.get("skip", False), kw.get("hardware_max_a"), kw.get("peak", False)
                )
            )

        return [Patch(DelayedRate, "step", seeded, fires=draws)]
    return broken_faults.patches(fault)


def _uncapped_schedule(orig: Callable[..., Any]) -> Callable[..., Any]:
    """The plan of a profile above the hardware limit, not capped by it (only then)."""

    def composite_schedule(*args: Any, **kwargs: Any) -> Any:
        capped, cap = orig(*args, **kwargs), kwargs.get("max_limit")
        free = orig(*args, **{**kwargs, "max_limit": None})
        over = cap is not None and any(p.limit is not None and p.limit > cap for p in free.periods)
        return free if over else capped

    return composite_schedule


def _uncapped_limit(orig: Callable[..., Any]) -> Callable[..., Any]:
    def limit_at(*args: Any, **kwargs: Any) -> Any:
        capped, cap = orig(*args, **kwargs), kwargs.get("max_limit")
        free = orig(*args, **{**kwargs, "max_limit": None})
        return free if cap is not None and free is not None and free > cap else capped

    return limit_at


def _key_shown(orig: Callable[..., Any]) -> Callable[..., Any]:
    """GetConfiguration lists AuthorizationKey with a value (it is write-only)."""

    def get(self: Any, keys: Any = None) -> Any:
        entries, unknown = orig(self, keys)
        for entry in entries:
            if entry["key"] == "AuthorizationKey":
                entry["value"] = "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
        return entries, unknown

    return get


DEFAULT_PASSWORD = "password1234567890"


def inject(fault: str) -> None:
    for p in patches(fault):
        setattr(p.owner, p.name, p.faulty(getattr(p.owner, p.name)))


def _outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:
        return ("raise", exc)


def observe(log: Path) -> None:
    """Every fault as an observer: the charger behaves exactly as ours (the original result is
    returned), and each fault whose function would have answered differently is written to `log`
    once. A scenario whose chargers never fire a fault cannot be affected by it."""
    fired: set[str] = set()

    def note(fault: str) -> None:
        if fault not in fired:
            fired.add(fault)
            with log.open("a") as fh:
                fh.write(fault + "\n")

    for fault in FAULTS:
        for p in patches(fault):
            original = getattr(p.owner, p.name)
            faulty = p.faulty(original)

            def wrapper(
                *args: Any,
                _o: Callable[..., Any] = original,
                _f: Callable[..., Any] = faulty,
                _p: Patch = p,
                _fault: str = fault,
                **kwargs: Any,
            ) -> Any:
                if _p.fires is not None:
                    if _p.fires(*args, **kwargs):
                        note(_fault)
                    return _o(*args, **kwargs)
                real = _outcome(_o, *args, **kwargs)
                if not _p.same(_comparable(real), _comparable(_outcome(_f, *args, **kwargs))):
                    note(_fault)
                if real[0] == "raise":
                    raise real[1]
                return real[1]

            setattr(p.owner, p.name, wrapper)


def _comparable(outcome: tuple[str, Any]) -> tuple[str, Any]:
    return (outcome[0], None) if outcome[0] == "raise" else outcome


def main(argv: list[str]) -> int:
    fault, rest = argv[0], argv[1:]
    if fault == "observe":
        config = Path(rest[rest.index("--config") + 1])
        observe(config.with_suffix(".faults"))
    else:
        inject(fault)
    from smartcharge.chargepoint.daemon import main as daemon

    return daemon(rest)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
