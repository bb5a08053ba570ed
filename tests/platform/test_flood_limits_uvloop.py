"""The listeners' caps under uvloop, the event loop `platform serve` runs on: its transports are no
asyncio subclasses, and a connection over the OCPP cap must still get its 503 at the door (it
raised instead, found by the 5,000-charger boot storm from one address; `ocpp_admission.
limited_connections`).

uvloop runs in a child process (`uvloop_listener_caps.py`, through `uvloop_child`). The verdict
is the child's own report of what each socket received."""

from __future__ import annotations

from pathlib import Path

from uvloop_child import child_report

SCRIPT = Path(__file__).with_name("uvloop_listener_caps.py")


async def test_over_both_caps_a_connection_gets_503_at_the_door_under_uvloop() -> None:
    report = await child_report(SCRIPT)
    assert report["loop"].startswith("uvloop")
    refused = ["HTTP/1.1 503 Service Unavailable"] * 5
    assert report["ocpp"] == ["held"] * 3 + refused
    assert report["http"] == ["held"] * 3 + refused
    assert report["ocpp_open"] == 3
    assert report["http_open"] == 3
