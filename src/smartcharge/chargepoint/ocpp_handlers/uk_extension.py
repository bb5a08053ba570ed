"""The UK owner controls over OCPP 1.6: DataTransfer with vendorId `org.smartcharge.uk`.

`data` is a JSON object in a string (DataTransfer's `data` is a string); every message is
validated by a model below and a bad one is Rejected with `{"error": "..."}` naming the field,
changing nothing. A central system that knows nothing of this still works with the charger: its
profiles are then plain `csms_profile` changes and are delayed (R26). docs/ocpp-extensions.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from smartcharge.chargepoint.charging import DsrEvent, ProfileFlags
from smartcharge.chargepoint.owner_controls import NotPermitted, OwnerControls
from smartcharge.chargepoint.station import Station
from smartcharge.clock import Clock
from smartcharge.ocpp.times import format_time
from smartcharge.ocpp.uk_extension import (
    FACTORY_RESET,
    TO_CHARGER,
    VENDOR_ID,
    ChargeNowMsg,
    DsrEventMsg,
    DsrOptOutMsg,
    EmptyMsg,
    FactoryResetMsg,
    GetDeviceInfoMsg,
    GetUserScheduleMsg,
    Message,
    ProfileFlagsMsg,
    SetDefaultHoursMsg,
    SetUserScheduleMsg,
    SkipDelayMsg,
    UkExtensionError,
    parse,
)
from smartcharge.regulations import Cause

log = logging.getLogger("smartcharge.chargepoint.uk_extension")

MODELS = TO_CHARGER  # the shared definition (smartcharge.ocpp.uk_extension)


@dataclass(frozen=True)
class DeviceHooks:
    """What the composition root lends the extension beyond the station (app.py)."""

    info: Callable[[], dict[str, Any]]  # device_info.device_info of the running software
    reset_refusal: Callable[[], str | None]  # why a factory reset cannot happen now, or None
    factory_reset: Callable[[str], None]  # wipe at the reboot (R35); RuntimeError if refused


def _answer(status: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status}
    if data is not None:
        out["data"] = orjson.dumps(data).decode()
    return out


class UkExtension:
    def __init__(
        self,
        station: Station,
        controls: OwnerControls,
        device: DeviceHooks | None = None,
        *,
        clock: Clock,
    ) -> None:
        self.station = station
        self.clock = clock
        self.controls = controls  # the station follows their changes (OwnerControls.on_change)
        self.device = device
        self._reset_by: str | None = None  # a FactoryReset answered Accepted, not yet begun

    async def data_transfer(self, req: dict[str, Any]) -> dict[str, Any]:
        """Raw DataTransfer handler (camelCase dict in, dict out)."""
        if req.get("vendorId") != VENDOR_ID:
            return {"status": "UnknownVendorId"}
        message = req.get("messageId")
        model = MODELS.get(message or "")
        if model is None:
            return {"status": "UnknownMessageId"}
        try:
            msg = parse(model, req.get("data"))
        except UkExtensionError as exc:
            return _answer("Rejected", {"error": str(exc)})
        try:
            return self._handle(msg)
        except NotPermitted as exc:
            return _answer("Rejected", {"error": str(exc)})
        except ValueError as exc:
            return _answer("Rejected", {"error": str(exc)})

    async def after(self, req: dict[str, Any], res: dict[str, Any]) -> None:
        """Runs once the answer is sent: a factory reset reboots only after saying Accepted."""
        if req.get("messageId") != FACTORY_RESET:
            return
        by, self._reset_by = self._reset_by, None
        if by is None or self.device is None:
            return
        try:
            self.device.factory_reset(f"the {by} over OCPP")
        except RuntimeError as exc:  # a session started between the answer and now
            log.warning("factory reset not started: %s", exc)

    def _handle(self, msg: Message) -> dict[str, Any]:
        st = self.station
        if isinstance(msg, GetDeviceInfoMsg | FactoryResetMsg):
            return self._device(msg)
        controls = self.controls
        now = self.clock.now()
        if isinstance(msg, SetDefaultHoursMsg):
            state = controls.set_default_hours(msg.mode, now=now, by=msg.by, windows=msg.windows)
            log.info("default hours set to %s by %s", state.mode, msg.by)
            return _answer("Accepted", self._default_hours())
        if isinstance(msg, SetUserScheduleMsg):
            plan = controls.set_user_schedule(msg.windows, limit_a=msg.limitA, now=now, by=msg.by)
            log.info("owner schedule %s by %s", "set" if plan else "removed", msg.by)
            return _answer("Accepted", self._user_schedule())
        if isinstance(msg, GetUserScheduleMsg):
            return _answer("Accepted", self._user_schedule())
        if isinstance(msg, SkipDelayMsg):
            ok = st.skip_delay(msg.connectorId, session=msg.session)
            return _answer("Accepted" if ok else "Rejected")
        if isinstance(msg, ChargeNowMsg):
            ok = st.charge_now(msg.connectorId, by=msg.by)
            return _answer("Accepted" if ok else "Rejected")
        if isinstance(msg, DsrEventMsg):
            start = msg.start
            if start.tzinfo is None:
                raise ValueError("start: needs a UTC offset")
            controls.add_dsr_event(
                DsrEvent(
                    msg.id,
                    msg.kind,
                    msg.limitA,
                    start,
                    start + timedelta(seconds=msg.durationS),
                    msg.alreadyRandomised,
                )
            )
            log.info("DSR event %s (%s) received", msg.id, msg.kind)
            return _answer("Accepted")
        if isinstance(msg, DsrOptOutMsg):
            ok = controls.opt_out(msg.id)
            return _answer("Accepted" if ok else "Rejected")
        if isinstance(msg, ProfileFlagsMsg):
            controls.set_profile_flags(
                msg.chargingProfileId, ProfileFlags(Cause(msg.cause), msg.alreadyRandomised)
            )
            return _answer("Accepted")
        if isinstance(msg, EmptyMsg):
            return _answer("Accepted", self._state())
        raise AssertionError(f"unhandled {type(msg).__name__}")

    def _device(self, msg: GetDeviceInfoMsg | FactoryResetMsg) -> dict[str, Any]:
        if self.device is None:
            return _answer("Rejected", {"error": "not supported by this charger"})
        if isinstance(msg, GetDeviceInfoMsg):
            return _answer("Accepted", self.device.info())
        if self.controls.workplace and msg.by != "administrator":
            raise NotPermitted("on a workplace charger only the administrator may wipe it")
        refusal = self.device.reset_refusal()
        if refusal is not None:
            return _answer("Rejected", {"error": refusal, "reason": "SessionRunning"})
        self._reset_by = msg.by
        log.info("factory reset accepted from the %s over OCPP", msg.by)
        return _answer("Accepted", {"factoryReset": True, "rebooting": True})

    def _default_hours(self) -> dict[str, Any]:
        controls = self.controls
        state = controls.default_hours_state().to_json()
        schedule = controls.default_hours(self.station.random_delay_max())
        state["inForce"] = schedule.to_records() if schedule else None
        agreement = controls.dsr_agreement
        state["dsrAgreement"] = agreement.to_json() if agreement else None
        return state

    def _user_schedule(self) -> dict[str, Any]:
        plan = self.controls.user_schedule()
        return {"userSchedule": plan.to_json() if plan else None}

    def _state(self) -> dict[str, Any]:
        return {
            "defaultHours": self._default_hours(),
            **self._user_schedule(),
            "randomisedDelayMaxSeconds": self.station.random_delay_max(),
            "connectors": {str(n): s for n, s in self.station.state().items()},
            "dsrEvents": self._dsr_events(),
        }

    def _dsr_events(self) -> list[dict[str, Any]]:
        """The DSR events not over yet, as this charger follows them: what the owner's page
        shows and offers to opt out of (R19), so it says what the charger does."""
        controls, now = self.controls, self.clock.now()
        out = controls.opted_out()
        return [
            {
                "id": e.event_id,
                "kind": e.kind,
                "limitA": e.limit_a,
                "start": format_time(e.start, "auto"),
                "end": format_time(e.end, "auto"),
                "optedOut": e.event_id in out,
            }
            for e in controls.dsr_events()
            if e.end > now
        ]
