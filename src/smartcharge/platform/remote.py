"""The serving platform's REST API, called from another process: how the CLI reaches a charger
on any deployment, one node without a broker included (only the serving process holds the
chargers' connections).

The caller is an API user like any other: its bearer token (POST /api/auth/tokens) comes from
the environment variable `SMARTCHARGE_API_TOKEN`, never from the command line, where other
users of the machine could read it. Over TLS (security profiles 2 and 3, where the API is
served over HTTPS too) the platform's own certificate (`tls_cert`) is trusted, or `ca_file`.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from smartcharge.platform.config import PlatformSettings, SettingsError

TOKEN_ENV = "SMARTCHARGE_API_TOKEN"  # not-a-secret: the name of the variable holding it
TIMEOUT_MARGIN_S = 10.0  # on top of the charger's own timeout: the API answers after it


class RemoteError(Exception):
    """The API refused or failed; the message is its `detail`, for a person."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class RemoteApi:
    url: str
    token: str
    verify: ssl.SSLContext | bool

    @classmethod
    def of(
        cls, settings: PlatformSettings, *, url: str | None = None, ca_file: Path | None = None
    ) -> RemoteApi:
        """The API of the platform `settings` describe. Raises `SettingsError` without a token."""
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise SettingsError(
                f"{TOKEN_ENV} must hold an API token of an operator or the charger's owner "
                "(POST /api/auth/tokens)"
            )
        tls = settings.security_profile >= 2
        if url is None:
            host = settings.api_host if settings.api_host not in ("0.0.0.0", "::") else "127.0.0.1"
            url = f"{'https' if tls else 'http'}://{host}:{settings.api_port}"
        verify: ssl.SSLContext | bool = True
        anchor = ca_file or (settings.tls_cert if tls else None)
        if anchor is not None and url.startswith("https:"):
            verify = ssl.create_default_context(cafile=str(anchor))
            # The platform's own certificate may be a leaf: trust it as the anchor it is.
            verify.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return cls(url.rstrip("/"), token, verify)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """The decoded answer of a 2xx, else `RemoteError`; `ConnectionError` when the API
        cannot be reached."""
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with httpx.AsyncClient(
                base_url=self.url, verify=self.verify, timeout=timeout + TIMEOUT_MARGIN_S
            ) as client:
                response = await client.request(
                    method, path, json=json, params=params, headers=headers
                )
        except httpx.TransportError as exc:
            raise ConnectionError(f"the platform's API at {self.url} cannot be reached") from exc
        if response.is_success:
            return response.json() if response.content else None
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = None
        if not isinstance(detail, str):
            detail = f"the platform answered HTTP {response.status_code}"
        raise RemoteError(response.status_code, detail)
