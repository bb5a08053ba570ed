"""Our charge point with one deliberate fault switched on: the test doubles of deliverable 3.

    python broken_charger.py FAULT --config cp.toml

runs `smartcharge chargepoint run` with FAULT injected by patching one function in this process
only (nothing in src changes). The faults are the ones the compliance suite must catch:

- `peak`: ignores the default charging hours, so it charges in peak hours;
- `no-delay`: never applies the random delay (every draw is 0 s);
- `delay-dsr`: treats response DSR like a scheduled event, so it delays it;
- `unsigned-firmware`: installs firmware without checking its signature;
- `default-password`: connects with a well-known default password.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

FAULTS = ("peak", "no-delay", "delay-dsr", "unsigned-firmware", "default-password")


def inject(fault: str) -> None:
    if fault == "peak":
        from smartcharge.chargepoint import limits

        limits.allowed = lambda schedule, when: True  # type: ignore[assignment]
    elif fault == "no-delay":
        from smartcharge.regulations.random_delay import RandomDelay

        RandomDelay.draw = lambda self: 0  # type: ignore[method-assign]
    elif fault == "delay-dsr":
        from smartcharge.chargepoint import delay
        from smartcharge.regulations.random_delay import decide

        def decide_delaying_dsr(change: Any) -> Any:
            if change.dsr_kind is not None:
                change = dataclasses.replace(change, dsr_kind="scheduled")
            return decide(change)

        delay.decide = decide_delaying_dsr  # type: ignore[assignment]
    elif fault == "unsigned-firmware":
        from smartcharge.chargepoint import firmware, firmware_slots

        def no_check(*args: Any) -> None:
            return None  # every image passes: no signature or certificate is looked at

        firmware.verify = no_check  # type: ignore[assignment]
        firmware.check_signing_certificate = no_check  # type: ignore[assignment]
        firmware_slots.verify = no_check  # type: ignore[assignment]
    elif fault == "default-password":
        from smartcharge.chargepoint.security.connection import ConnectionSecurity

        ConnectionSecurity.password = lambda self: "password1234567890"  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")


def main(argv: list[str]) -> int:
    fault, rest = argv[0], argv[1:]
    inject(fault)
    from smartcharge.chargepoint.daemon import main as daemon

    return daemon(rest)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
