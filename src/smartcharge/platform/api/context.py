"""What every API route needs, built once by the composition root (`platform.app`): the
services' context and the few settings of HTTP itself (the token cache, secure cookies)."""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.platform.services.context import ServiceContext


@dataclass
class ApiContext(ServiceContext):
    token_cache_s: float = 30.0
    secure_cookies: bool = True  # the API is served over TLS
