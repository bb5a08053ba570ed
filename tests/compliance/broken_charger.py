"""Our charge point with one deliberate fault switched on: the test doubles of deliverable 3.

    python broken_charger.py FAULT --config cp.toml

runs `smartcharge chargepoint run` with FAULT injected by patching one function in this process
only (nothing in src changes). The faults are the ones the compliance suite must catch:

- `peak`: ignores the default charging hours, so it charges in peak hours;
- `no-delay`: never applies the random delay (every draw is 0 s);
- `delay-dsr`: treats response DSR like a scheduled event, so it delays it;
- `unsigned-firmware`: installs firmware without checking its signature;
- `default-password`: connects with a well-known default password.

`observe` switches no fault on: it watches all five (observe) and writes, next to the charger's
config, the faults that would have changed an answer; test_broken_chargers.py runs each double
only on the scenarios where its fault fires (and those of the rules it must break).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

FAULTS = ("peak", "no-delay", "delay-dsr", "unsigned-firmware", "default-password")


@dataclasses.dataclass(frozen=True)
class Patch:
    owner: Any  # the module or class whose attribute is replaced
    name: str
    faulty: Callable[[Callable[..., Any]], Callable[..., Any]]  # original -> faulty version
    # How two outcomes (("ok", value) or ("raise", None)) are compared for the observer.
    same: Callable[[tuple[str, Any], tuple[str, Any]], bool] = lambda a, b: a == b


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
    raise SystemExit(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}, observe")


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
