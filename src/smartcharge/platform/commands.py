"""Commands to chargers on behalf of API users: send, wait for the answer, keep an audit row.

The API maps the outcomes to HTTP (docs/rest-api.md): the charger's answer (200), charger
offline (409), no answer in time (504), the charger answered CALLERROR or an invalid CALLRESULT
or closed its connection during the call (502), an invalid request payload (422, nothing sent).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse, OcppError
from smartcharge.ocpp.schemas import validate_request
from smartcharge.ocpp.uk_extension import VENDOR_ID
from smartcharge.platform.errors import ChargerDisconnected
from smartcharge.platform.ocpp_server import ChargerOffline, OcppServer
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.commands")


COMMANDS = (
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "UnlockConnector",
    "Reset",
    "ChangeAvailability",
    "GetConfiguration",
    "ChangeConfiguration",
    "SetChargingProfile",
    "ClearChargingProfile",
    "GetCompositeSchedule",
    "TriggerMessage",
    "ExtendedTriggerMessage",
    "SendLocalList",
    "GetLocalListVersion",
    "ClearCache",
    "ReserveNow",
    "CancelReservation",
    "SignedUpdateFirmware",
    "UpdateFirmware",
    "GetLog",
    "GetDiagnostics",
    "DataTransfer",
)
"""What the generic command route may send. Certificates (InstallCertificate, ...) go through
their own routes, which check a certificate before it is sent (`SERVICE_COMMANDS`)."""

SERVICE_COMMANDS = (
    "InstallCertificate",
    "DeleteCertificate",
    "GetInstalledCertificateIds",
    "CertificateSigned",
)
"""What only the services send (services/certificates.py), after their own checks."""

START_STOP = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})

PROTECTED_KEYS = {
    "authorizationkey": "POST /api/chargers/{identity}/password-rotation",
    "securityprofile": "PUT /api/chargers/{identity}/security-profile",
}
"""Configuration keys that decide how a charger logs in, and the only route that may change
each (compared without case: some chargers match keys that way). Sent behind the platform's
back, a new AuthorizationKey would leave the charger with a password the platform cannot
check, and a new SecurityProfile with a profile the platform does not expect."""


def protected_key_refusal(identity: str, action: str, payload: dict[str, Any]) -> str | None:
    """Why this command may not go through the generic route (naming the route), or None."""
    key = payload.get("key") if action == "ChangeConfiguration" else None
    route = PROTECTED_KEYS.get(key.casefold()) if isinstance(key, str) else None
    if route is None:
        return None
    return (
        f"{key} is not changed through the command route: use "
        f"{route.format(identity=identity)}, which keeps the platform in step with the charger"
    )


class CommandFailed(Exception):
    """The command did not get a usable answer; `outcome` says why, `status` the HTTP status."""

    def __init__(self, outcome: str, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status = status
        self.message = message
        self.details = details


@dataclass
class Commander:
    store: Store
    ocpp: OcppServer
    now: Callable[[], datetime]
    timeout: float | None = None  # None: the OCPP server's call_timeout

    async def send(
        self,
        identity: str,
        charger_id: int,
        action: str,
        payload: dict[str, Any],
        *,
        user_id: int | None,
        timeout: float | None = None,
        protected_ok: bool = False,
    ) -> dict[str, Any]:
        """Send and return the charger's answer, or raise `CommandFailed`. Each attempt that
        reached the wire (or found the charger offline) is kept in the command log.
        `protected_ok`: the service that owns a `PROTECTED_KEYS` key is sending it."""
        if action not in COMMANDS and action not in SERVICE_COMMANDS:
            raise CommandFailed("invalid", 422, f"{action} is not a command the API sends")
        try:  # a bad payload is refused whether or not the charger is connected
            validate_request(action, payload)
        except OcppError as exc:
            raise CommandFailed("invalid", 422, f"invalid {action}: {exc.description}") from None
        refusal = None if protected_ok else protected_key_refusal(identity, action, payload)
        if refusal is not None:
            raise CommandFailed("invalid", 422, refusal)
        requested = self.now()
        message_id = payload.get("messageId") if action == "DataTransfer" else None
        outcome, status, answer = "answered", None, None
        try:
            answer = await self.ocpp.send(identity, action, payload, timeout or self.timeout)
            status = answer.get("status") if isinstance(answer.get("status"), str) else None
            return answer
        except ChargerDisconnected:
            outcome = "disconnected"
            raise CommandFailed(
                "disconnected",
                502,
                f"charger {identity} closed its connection during the call: it may or may not "
                "have carried the command out",
            ) from None
        except ChargerOffline:
            outcome = "offline"
            raise CommandFailed("offline", 409, f"charger {identity} is offline") from None
        except CallTimeout as exc:
            outcome = "timeout"
            raise CommandFailed(
                "timeout", 504, f"charger {identity} did not answer within {exc.timeout:g} s"
            ) from None
        except CallError as exc:
            outcome = "call_error"
            raise CommandFailed(
                "call_error",
                502,
                f"charger {identity} answered {exc.code}: {exc.description}",
                code=exc.code,
            ) from None
        except InvalidResponse as exc:
            outcome = "bad_answer"
            raise CommandFailed(
                "bad_answer",
                502,
                f"charger {identity} sent an invalid answer: {exc.error.description}",
            ) from None
        except OcppError as exc:  # our payload failed the schema: nothing was sent
            outcome = "invalid"
            raise CommandFailed("invalid", 422, f"invalid {action}: {exc.description}") from None
        finally:
            if outcome != "invalid":
                await self._record(
                    charger_id, user_id, action, message_id, outcome, status, requested
                )

    async def uk(
        self,
        identity: str,
        charger_id: int,
        message_id: str,
        data: dict[str, Any],
        *,
        user_id: int | None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """A UK extension (DataTransfer org.smartcharge.uk): the answer with `data` decoded."""
        answer = await self.send(
            identity,
            charger_id,
            "DataTransfer",
            {"vendorId": VENDOR_ID, "messageId": message_id, "data": json.dumps(data)},
            user_id=user_id,
            timeout=timeout,
        )
        decoded: Any = answer.get("data")
        if isinstance(decoded, str):
            with contextlib.suppress(ValueError):  # not JSON: returned as the charger sent it
                decoded = json.loads(decoded)
        return {"status": answer.get("status"), "data": decoded}

    async def read(
        self, identity: str, message_id: str, *, timeout: float
    ) -> dict[str, Any] | None:
        """A UK-extension read (`data` {}) the charger answered Accepted, its `data` decoded;
        None if it cannot say now (offline, slow, an older charger, an answer that is not
        JSON). A read changes nothing, so it is not kept in the command log: a page asks every
        few seconds while it is open."""
        payload = {"vendorId": VENDOR_ID, "messageId": message_id, "data": "{}"}
        try:
            validate_request("DataTransfer", payload)
            answer = await self.ocpp.send(identity, "DataTransfer", payload, timeout)
        except (
            ChargerOffline,
            CallError,
            CallTimeout,
            InvalidResponse,
            OcppError,
            ConnectionError,
        ):
            return None
        data = answer.get("data")
        if answer.get("status") != "Accepted" or not isinstance(data, str):
            return None
        with contextlib.suppress(ValueError):
            decoded = json.loads(data)
            if isinstance(decoded, dict):
                return decoded
        return None

    async def _record(
        self,
        charger_id: int,
        user_id: int | None,
        action: str,
        message_id: str | None,
        outcome: str,
        status: str | None,
        requested: datetime,
    ) -> None:
        try:
            await self.store.history.record_command(
                charger_id=charger_id,
                user_id=user_id,
                action=action,
                message_id=message_id,
                outcome=outcome,
                status=status,
                requested_at=requested,
                answered_at=self.now() if outcome == "answered" else None,
            )
        except Exception:  # the audit row must not turn a charger's answer into an error
            log.exception("command not recorded action=%s charger_id=%s", action, charger_id)
