"""The owner API: HTTPS JSON on the charger itself, no cloud needed (R5, R7, R33).

Reference: docs/owner-api.md. Every body is validated in full before anything changes
(http_json); a request without a valid bearer token gets 401 and touches nothing; answers are
never cached (`Cache-Control: no-store`) and tell browsers to keep to HTTPS (HSTS).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from smartcharge.chargepoint.http_json import (
    BadRequest,
    Body,
    Handler,
    JsonService,
    json_errors,
    json_response,
    read_body,
)
from smartcharge.chargepoint.owner_api import history
from smartcharge.chargepoint.owner_api.auth import AuthError, OwnerAuth
from smartcharge.chargepoint.owner_api.parts import BootParts
from smartcharge.chargepoint.owner_controls import NotPermitted
from smartcharge.clock import Clock
from smartcharge.ocpp.times import MissingOffset, parse_time

log = logging.getLogger("smartcharge.chargepoint.owner_api")

MAX_BODY = 16 * 1024
RESET_PHRASE = "delete my data"
_CONNECTOR = re.compile(r"[1-9][0-9]{0,2}")
_PUBLIC = frozenset(
    {("GET", "/api/info"), ("GET", "/api/setup"), ("POST", "/api/setup"), ("POST", "/api/login")}
)


class PasswordBody(Body):
    password: str = Field(min_length=1, max_length=1024)
    setupCode: str | None = Field(default=None, max_length=64)  # the label's (setup_code.py)


class ChangePasswordBody(Body):
    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=1, max_length=1024)


class Window(Body):
    weekday: str | int
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)


class DefaultHoursBody(Body):
    mode: Literal["default", "custom", "removed"]
    windows: list[Window] | None = Field(default=None, max_length=50)


class RandomDelayBody(Body):
    max_seconds: int = Field(alias="maxSeconds", ge=0, le=1800)


class SkipDelayBody(Body):
    session: bool = False


class FactoryResetBody(Body):
    password: str = Field(min_length=1, max_length=1024)
    confirm: str = Field(max_length=50)


def _when(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        return parse_time(text)
    except MissingOffset:
        raise BadRequest(400, f"{name}: must include a UTC offset", name) from None
    except ValueError:
        raise BadRequest(400, f"{name}: must be an ISO 8601 date and time", name) from None


def _token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > 100:
        return None
    return token.strip()


class OwnerApi(JsonService):
    """The owner API of one charger; `start` serves it over HTTPS (give the SSL context)."""

    name = "the owner API"

    def __init__(
        self,
        parts: Callable[[], BootParts | None],
        clock: Clock,
        *,
        public_values: tuple[str, ...] = (),
        info: Callable[[], dict[str, Any]] | None = None,
        setup_code_hash: Callable[[], str | None] = lambda: None,
        first_use_without_code: bool = False,
    ) -> None:
        self._parts = parts
        self._info = info
        self._clock = clock
        self.auth = OwnerAuth(
            lambda: self._boot().store,
            clock.monotonic,
            self._security_event,
            public_values=public_values,
            setup_code_hash=setup_code_hash,
            first_use_without_code=first_use_without_code,
        )
        super().__init__(
            web.Application(
                middlewares=[self._headers, json_errors, self._guard], client_max_size=MAX_BODY
            )
        )
        self.app.add_routes(
            [
                web.get("/api/info", self._get_info),
                web.get("/api/setup", self._get_setup),
                web.post("/api/setup", self._post_setup),
                web.post("/api/login", self._login),
                web.post("/api/logout", self._logout),
                web.post("/api/password", self._change_password),
                web.get("/api/status", self._status),
                web.get("/api/sessions", self._sessions),
                web.get("/api/sessions.csv", self._sessions_csv),
                web.get("/api/history", self._history),
                web.get("/api/controls", self._get_controls),
                web.put("/api/controls/default-hours", self._put_default_hours),
                web.put("/api/controls/random-delay", self._put_random_delay),
                web.post("/api/connectors/{n}/charge-now", self._charge_now),
                web.post("/api/connectors/{n}/skip-delay", self._skip_delay),
                web.post("/api/dsr/{event_id}/opt-out", self._opt_out),
                web.get("/api/security-log", self._security_log),
                web.post("/api/tamper/clear", self._clear_tamper),
                web.post("/api/factory-reset", self._factory_reset),
            ]
        )

    # --- plumbing -------------------------------------------------------------------------------
    def _boot(self) -> BootParts:
        parts = self._parts()
        if parts is None:
            raise web.HTTPServiceUnavailable(reason="the charger is starting; try again shortly")
        return parts

    def _security_event(self, event: str, tech_info: str) -> None:
        self._boot().record(event, tech_info)

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._boot()  # 503 between boots
        if (request.method, request.path) not in _PUBLIC:
            token = _token(request)
            if token is None or not self.auth.check_token(token):
                raise BadRequest(401, "sign in first (Authorization: Bearer <token>)")
        try:
            return await handler(request)
        except AuthError as exc:
            headers = None
            if exc.retry_after_s is not None:
                headers = {"Retry-After": str(int(exc.retry_after_s) + 1)}
            return json_response({"error": str(exc)}, exc.status, headers)

    def _connector(self, request: web.Request) -> int:
        text = request.match_info["n"]
        if not _CONNECTOR.fullmatch(text):
            raise BadRequest(404, "no such connector")
        n = int(text)
        if self._boot().station.connector(n) is None:
            raise BadRequest(404, f"connector {n} does not exist")
        return n

    # --- who the charger is (R38), for anyone: nothing personal in it ---------------------------
    async def _get_info(self, request: web.Request) -> web.Response:
        if self._info is None:
            raise BadRequest(404, "this charger does not report its device information")
        return json_response(self._info())

    # --- password and sign-in -------------------------------------------------------------------
    async def _get_setup(self, request: web.Request) -> web.Response:
        return json_response({"passwordSet": self.auth.password_set()})

    async def _post_setup(self, request: web.Request) -> web.Response:
        body = await read_body(request, PasswordBody)
        token = await self.auth.set_first_password(body.password, body.setupCode)
        return json_response({"token": token}, 201)

    async def _login(self, request: web.Request) -> web.Response:
        body = await read_body(request, PasswordBody)
        return json_response({"token": await self.auth.login(body.password, body.setupCode)})

    async def _logout(self, request: web.Request) -> web.Response:
        token = _token(request)
        if token is not None:
            self.auth.logout(token)
        return json_response({"signedOut": True})

    async def _change_password(self, request: web.Request) -> web.Response:
        body = await read_body(request, ChangePasswordBody)
        return json_response({"token": await self.auth.change_password(body.current, body.new)})

    # --- what the charger is doing --------------------------------------------------------------
    async def _status(self, request: web.Request) -> web.Response:
        parts = self._boot()
        connectors = {
            str(n): {
                "status": s["status"],
                "charging": s["local_transaction_id"] is not None,
                "sessionId": s["local_transaction_id"],
                "limitA": s["limit_a"],
                "limitCause": s["limit_cause"],
                "limitReason": s["limit_reason"],
                "randomDelayRemainingS": s["random_delay_remaining_s"],
            }
            for n, s in parts.station.state().items()
        }
        return json_response(
            {"time": self._clock.now().isoformat(), "connectors": connectors} | parts.condition()
        )

    async def _sessions(self, request: web.Request) -> web.Response:
        parts = self._boot()
        now = self._clock.now()
        since = _when(request, "since") or history.history_start(now)
        until = _when(request, "until")
        sessions = parts.station.session_history(since, until)
        return json_response({"sessions": [history.session_json(s) for s in sessions]})

    async def _sessions_csv(self, request: web.Request) -> web.Response:
        parts = self._boot()
        since = _when(request, "since") or history.history_start(self._clock.now())
        sessions = parts.station.session_history(since, _when(request, "until"))
        return web.Response(
            text=history.sessions_csv(sessions),
            content_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="sessions.csv"'},
        )

    async def _history(self, request: web.Request) -> web.Response:
        period = request.query.get("period", "day")
        if period not in history.PERIODS:
            raise BadRequest(400, "period: must be day, week or month", "period")
        parts = self._boot()
        since = history.history_start(self._clock.now())
        sessions = parts.station.session_history(since)
        return json_response(
            {
                "totals": history.totals(sessions, period),
                "twelveMonths": history.whole(sessions, since),
            }
        )

    # --- the owner's controls (R14-R25) ---------------------------------------------------------
    def _controls_json(self, parts: BootParts) -> dict[str, Any]:
        controls = parts.controls
        return {
            "defaultHours": controls.default_hours_state().to_json(),
            "randomDelayMaxS": parts.station.random_delay_max(),
            "dsrEvents": [
                {
                    "id": e.event_id,
                    "kind": e.kind,
                    "limitA": e.limit_a,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "optedOut": e.event_id in controls.opted_out(),
                }
                for e in controls.dsr_events()
            ],
        }

    async def _get_controls(self, request: web.Request) -> web.Response:
        return json_response(self._controls_json(self._boot()))

    async def _put_default_hours(self, request: web.Request) -> web.Response:
        body = await read_body(request, DefaultHoursBody)
        parts = self._boot()
        windows = None if body.windows is None else [w.model_dump() for w in body.windows]
        try:
            parts.controls.set_default_hours(
                body.mode, now=self._clock.now(), by="owner", windows=windows
            )
        except NotPermitted as exc:
            raise BadRequest(403, str(exc)) from None
        except ValueError as exc:
            raise BadRequest(400, str(exc), "windows") from None
        return json_response(self._controls_json(parts))

    async def _put_random_delay(self, request: web.Request) -> web.Response:
        body = await read_body(request, RandomDelayBody)
        parts = self._boot()
        status = parts.configuration.change("RandomisedDelayMaxSeconds", str(body.max_seconds))
        if status != "Accepted":
            raise BadRequest(400, f"maxSeconds: not accepted ({status})", "maxSeconds")
        return json_response(self._controls_json(parts))

    async def _charge_now(self, request: web.Request) -> web.Response:
        n = self._connector(request)
        if not self._boot().station.charge_now(n):
            raise BadRequest(409, f"connector {n} has no session to charge now")
        return json_response({"connectorId": n, "chargeNow": True})

    async def _skip_delay(self, request: web.Request) -> web.Response:
        n = self._connector(request)
        body = await read_body(request, SkipDelayBody, required=False)
        if not self._boot().station.skip_delay(n, session=body.session):
            raise BadRequest(409, f"connector {n} has no session whose delay could be skipped")
        return json_response({"connectorId": n, "delaySkipped": True, "session": body.session})

    async def _opt_out(self, request: web.Request) -> web.Response:
        event_id = request.match_info["event_id"]
        parts = self._boot()
        if len(event_id) > 100 or not parts.controls.opt_out(event_id):
            raise BadRequest(404, "no such demand side response event")
        return json_response(self._controls_json(parts))

    # --- security -------------------------------------------------------------------------------
    async def _security_log(self, request: web.Request) -> web.Response:
        since, until = _when(request, "since"), _when(request, "until")
        seclog = self._boot().security_log
        check = seclog.verify()
        return json_response(
            {
                "intact": check.ok,
                "problem": check.problem or None,
                "entries": [e.as_json() for e in seclog.entries(since, until)],
            }
        )

    async def _clear_tamper(self, request: web.Request) -> web.Response:
        parts = self._boot()
        if parts.clear_tamper is None:
            raise BadRequest(404, "this charger has no tamper latch to clear")
        if not parts.clear_tamper("owner"):
            raise BadRequest(409, "no tamper alarm is active")
        return json_response({"tamperCleared": True})

    async def _factory_reset(self, request: web.Request) -> web.Response:
        body = await read_body(request, FactoryResetBody)
        if body.confirm != RESET_PHRASE:
            raise BadRequest(400, f'confirm: must be "{RESET_PHRASE}"', "confirm")
        await self.auth.login(body.password)  # the password again, with the lock-out
        parts = self._boot()
        try:
            parts.factory_reset()
        except RuntimeError as exc:
            raise BadRequest(409, str(exc)) from None
        return json_response({"factoryReset": True, "rebooting": True}, 202)
