"""More faults for broken_charger.py (which holds the first ones and how they are injected and
observed): the owner's view, the inputs and the charger's own software.

Kept apart so that neither module passes 400 lines; broken_charger.py asks `patches` here for
any fault it does not know itself, and lists MORE_FAULTS with its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import broken_smart
import orjson

MORE_FAULTS = (
    "info-wrong-version",
    "non-json-accepted",
    "history-6-months",
    "boot-unchecked",
    "no-check-at-start",
    "randomised-opt-out-ignored",
    "remove-ignored",
    "acceptance-unrecorded",
    "response-dsr-ignored",
    "settings-lost-on-switch",
    "defaults-overlap-peak",
    "sample-interval-min-5",
)

LAST_CSMS_KEY = "broken.last_csms_url"  # settings-lost-on-switch: the central system last used

# What the owner API says it runs in `info-wrong-version`: a version the charger is not running.
WRONG_VERSION = "0.0.1"


def patches(fault: str) -> list[Any] | None:
    """The broken_charger.Patch list of `fault`, or None if it is not one of MORE_FAULTS."""
    from broken_charger import Patch

    if fault == "info-wrong-version":
        from smartcharge.chargepoint.http_json import json_response
        from smartcharge.chargepoint.owner_api.server import OwnerApi

        def stale(orig: Callable[..., Any]) -> Callable[..., Any]:
            async def get_info(self: Any, request: Any) -> Any:
                info = orjson.loads((await orig(self, request)).body)
                # The version the owner API was built with, not the software running.
                return json_response({**info, "firmwareVersion": WRONG_VERSION})

            return get_info

        def answers(self: Any, request: Any) -> bool:
            return self._info is not None

        return [Patch(OwnerApi, "_get_info", stale, fires=answers)]
    if fault == "non-json-accepted":
        from smartcharge.chargepoint.ocpp_handlers.uk_extension import UkExtension

        def lax(orig: Callable[..., Any]) -> Callable[..., Any]:
            async def data_transfer(self: Any, req: dict[str, Any]) -> dict[str, Any]:
                if _not_json(self, req):
                    return {"status": "Accepted"}  # acknowledged without being understood
                return dict(await orig(self, req))

            return data_transfer

        return [Patch(UkExtension, "data_transfer", lax, fires=_not_json)]
    if fault == "history-6-months":
        from smartcharge.chargepoint.owner_api import history

        def half(orig: Callable[..., Any]) -> Callable[..., Any]:
            return lambda now: now - timedelta(days=183)  # keeps 12 months, shows 6

        return [Patch(history, "history_start", half)]
    if fault == "boot-unchecked":
        from smartcharge.chargepoint import software_integrity
        from smartcharge.chargepoint.security.boot_integrity import IntegrityResult

        def unchecked(orig: Callable[..., Any]) -> Callable[..., Any]:
            def check_signed_file(root_dir: Any, signed_file: Any, root_pem: Any) -> Any:
                # The manifest's version read, the files never hashed: always "intact".
                version = orjson.loads(signed_file.read_bytes()).get("manifest", {}).get("version")
                return IntegrityResult(True, version=version)

            return check_signed_file

        def same_verdict(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
            return a[0] == b[0] and bool(a[1]) == bool(b[1])

        return [Patch(software_integrity, "check_signed_file", unchecked, same_verdict)]
    if fault == "no-check-at-start":
        from smartcharge.chargepoint.firmware import FirmwareManager

        def periodic_only(orig: Callable[..., Any]) -> Callable[..., Any]:
            async def check_for_updates(self: Any, url: str, every: timedelta) -> None:
                await self.clock.sleep(every.total_seconds())  # the first check one interval on
                await orig(self, url, every)

            return check_for_updates

        return [Patch(FirmwareManager, "check_for_updates", periodic_only, fires=lambda *a: True)]
    return _owner_control_patches(fault)


def _owner_control_patches(fault: str) -> list[Any] | None:
    from broken_charger import Patch

    from smartcharge.chargepoint.owner_controls import OwnerControls

    if fault == "randomised-opt-out-ignored":

        def randomised(self: Any, event_id: str) -> bool:
            return any(e.event_id == event_id and e.already_randomised for e in self.dsr_events())

        def grid_first(orig: Callable[..., Any]) -> Callable[..., Any]:
            # Answered as done, but an event the central system already randomised is taken as
            # the grid's own, not the owner's to override: its opt-out is not kept.
            return lambda self, event_id: randomised(self, event_id) or orig(self, event_id)

        return [Patch(OwnerControls, "opt_out", grid_first, fires=randomised)]
    if fault == "remove-ignored":
        from smartcharge.chargepoint.ocpp_handlers import uk_extension
        from smartcharge.chargepoint.ocpp_handlers.uk_extension import UkExtension

        def removing(self: Any, msg: Any) -> bool:
            return type(msg).__name__ == "SetDefaultHoursMsg" and msg.mode == "removed"

        def kept(orig: Callable[..., Any]) -> Callable[..., Any]:
            def handle(self: Any, msg: Any) -> Any:
                if removing(self, msg):  # Accepted, and the hours in force as they were
                    return uk_extension._answer("Accepted", self._default_hours())
                return orig(self, msg)

            return handle

        return [Patch(UkExtension, "_handle", kept, fires=removing)]
    if fault == "acceptance-unrecorded":

        def unanswered_default(self: Any, mode: str, **kw: Any) -> bool:
            state = self.default_hours_state()
            return mode == "default" and state.mode == "default" and state.answered_at is None

        def unrecorded(orig: Callable[..., Any]) -> Callable[..., Any]:
            def set_default_hours(self: Any, mode: str, **kw: Any) -> Any:
                if unanswered_default(self, mode):  # accepting changes no hours: nothing written
                    return self.default_hours_state()
                return orig(self, mode, **kw)

            return set_default_hours

        return [Patch(OwnerControls, "set_default_hours", unrecorded, fires=unanswered_default)]
    if fault == "response-dsr-ignored":
        import dataclasses

        from smartcharge.chargepoint.charge_control import ChargeControl

        def scheduled_only(orig: Callable[..., Any]) -> Callable[..., Any]:
            def owner_rules(self: Any) -> Any:
                rules = orig(self)  # a response event is stored and listed, never obeyed
                kept = tuple(e for e in rules.dsr_events if e.kind != "response")
                return dataclasses.replace(rules, dsr_events=kept)

            return owner_rules

        return [Patch(ChargeControl, "_owner_rules", scheduled_only)]
    if fault == "settings-lost-on-switch":
        from smartcharge.chargepoint import boot_parts

        def switched(cfg: Any, store: Any) -> bool:
            """Whether this start is at another central system than the last (remembered here:
            a key of its own in the settings, which nothing else reads)."""
            last, url = store.setting(LAST_CSMS_KEY), str(cfg.csms_url)
            store.save_setting(LAST_CSMS_KEY, url)
            return last is not None and last != url

        def forgetting(orig: Callable[..., Any]) -> Callable[..., Any]:
            def owner_controls(cfg: Any, store: Any) -> Any:
                if switched(cfg, store):  # a new supplier: the owner's answers start afresh
                    store.delete_setting("owner.default_hours")
                return orig(cfg, store)

            return owner_controls

        return [Patch(boot_parts, "owner_controls", forgetting, fires=switched)]
    if fault == "defaults-overlap-peak":
        return _evening_from_21(Patch)
    if fault == "sample-interval-min-5":
        from smartcharge.chargepoint import configuration_keys

        def floor_5(orig: Callable[..., Any]) -> Callable[..., Any]:
            def canonical(defn: Any, value: Any, max_items: Any) -> Any:
                out = orig(defn, value, max_items)
                if defn.name == "MeterValueSampleInterval" and out is not None and 0 < int(out) < 5:
                    return None  # Rejected: its meter is read every 5 s at best
                return out

            return canonical

        return [Patch(configuration_keys, "canonical", floor_5)]
    return broken_smart.patches(fault)


def _evening_from_21(patch: Any) -> list[Any]:
    """Each weekday window that starts at 22:00 taken as starting at 21:00, an hour of the
    evening peak: reported so (the default hours in force) and obeyed so."""
    from smartcharge.chargepoint.charging import decision
    from smartcharge.chargepoint.ocpp_handlers.uk_extension import UkExtension
    from smartcharge.regulations import UK_TZ
    from smartcharge.regulations.default_hours import WEEKDAY_NAMES

    def reported(orig: Callable[..., Any]) -> Callable[..., Any]:
        def default_hours(self: Any) -> dict[str, Any]:
            state = dict(orig(self))
            weekdays = WEEKDAY_NAMES[:5]
            state["inForce"] = [
                {**w, "start": "21:00"} if w["weekday"] in weekdays and w["start"] == "22:00" else w
                for w in state.get("inForce") or []
            ] or state.get("inForce")
            return state

        return default_hours

    def obeyed(orig: Callable[..., Any]) -> Callable[..., Any]:
        def allowed(schedule: Any, when: Any) -> bool:
            local = when.astimezone(UK_TZ)
            evening = local.weekday() < 5 and local.hour == 21
            day = local.weekday()
            from_22 = any(w.weekday == day and w.start.hour == 22 for w in schedule.windows)
            return bool(orig(schedule, when)) or (evening and from_22)

        return allowed

    return [patch(UkExtension, "_default_hours", reported), patch(decision, "allowed", obeyed)]


def _not_json(self: Any, req: dict[str, Any]) -> bool:
    """A UK-extension DataTransfer whose data is a string that is not JSON."""
    from smartcharge.ocpp.uk_extension import VENDOR_ID

    data = req.get("data")
    if req.get("vendorId") != VENDOR_ID or not isinstance(data, str):
        return False
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return True
    return False
