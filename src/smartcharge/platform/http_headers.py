"""Protective headers on every answer of the REST API and the web app, and cross-site writes
refused (issue 15, finding 6). A plain ASGI middleware: it wraps whatever the API serves,
pages, JSON, static files and errors alike.

- Content-Security-Policy: scripts, styles, images and fetches from this origin only, no inline
  script (the web app has none: live.js is a file), no plugins, `frame-ancestors 'none'` (no
  clickjacking), forms post only here. The API docs page (Swagger UI, served from the installed
  `swagger-ui-bundle`) also needs inline styles, which it alone gets.
- X-Content-Type-Options nosniff, Referrer-Policy same-origin (with no-referrer a browser
  sends `Origin: null` on our own forms, which the check below must refuse), X-Frame-Options
  DENY (older browsers), Cross-Origin-Opener-Policy same-origin; over TLS,
  Strict-Transport-Security.
- A POST/PUT/PATCH/DELETE that a browser says comes from another site (`Sec-Fetch-Site:
  cross-site`, or an `Origin` that is not this server) is refused with 403 before any route
  runs: a page elsewhere cannot log the owner into an account of its choosing (login CSRF) or
  act with the owner's cookie. Clients that are not browsers send neither header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PREFIX = "/docs"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_REFUSED = b"Refused: a change sent from another site\n"


class SecurityHeaders:
    def __init__(self, app: App, *, tls: bool) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PREFIX) else CSP
        extra = [(b"content-security-policy", csp.encode()), *_COMMON]
        if self.tls:
            extra.append(_HSTS)
        if scope["method"] in UNSAFE_METHODS and _cross_site(headers):
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(_REFUSED)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _REFUSED})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in extra if n not in present]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _cross_site(headers: dict[bytes, bytes]) -> bool:
    if headers.get(b"sec-fetch-site") == b"cross-site":
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser, or a browser that sends Sec-Fetch-Site (checked above)
    host = headers.get(b"host", b"").decode("latin-1").lower()
    try:
        origin_host = urlsplit(origin.decode("latin-1")).netloc.lower()
    except ValueError:
        return True
    return origin == b"null" or origin_host != host
