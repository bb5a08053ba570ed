"""Who may charge: online Authorize, the local authorization list, the authorization cache, and
the offline policy (OCPP 1.6 sections 3.5 and 5.x, keys LocalPreAuthorize, LocalAuthorizeOffline,
AllowOfflineTxForUnknownId, AuthorizationCacheEnabled, LocalAuthListEnabled).

R7: with no network at all, a driver whose card is on the local list or in the cache still
charges; unknown cards charge only when the owner allowed it (AllowOfflineTxForUnknownId).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock
from smartcharge.ocpp.times import parse_time

log = logging.getLogger("smartcharge.chargepoint.authorization")

IdTagInfo = dict[str, Any]  # OCPP IdTagInfo: status, expiryDate, parentIdTag (camelCase)
AuthorizeCall = Callable[[str], Awaitable[IdTagInfo]]


class Settings(Protocol):
    def bool_value(self, name: str) -> bool: ...


def effective(info: IdTagInfo, now: datetime) -> IdTagInfo:
    """The info as it stands now: an Accepted entry whose expiryDate has passed is Expired."""
    expiry = info.get("expiryDate")
    if info.get("status") == "Accepted" and expiry:
        try:
            when = parse_time(str(expiry))
        except ValueError:
            return {**info, "status": "Invalid"}
        if when <= now:
            return {**info, "status": "Expired"}
    return info


class Authorizer:
    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

    def known(self, id_tag: str) -> IdTagInfo | None:
        """What the charger itself knows of an id tag: the local list first, then the cache."""
        if self._settings.bool_value("LocalAuthListEnabled"):
            entry = self._store.local_list_entry(id_tag)
            if entry is not None:
                return effective(entry, self._clock.now())
        if self._settings.bool_value("AuthorizationCacheEnabled"):
            cached = self._store.cache_get(id_tag)
            if cached is not None:
                return effective(cached, self._clock.now())
        return None

    async def authorize(self, id_tag: str, online: AuthorizeCall | None) -> IdTagInfo:
        """Decide for `id_tag`; `online` sends Authorize.req, or is None when offline.

        An online call that fails (timeout, connection lost) falls back to the offline policy.
        """
        known = self.known(id_tag)
        if online is not None:
            if (
                known is not None
                and known.get("status") == "Accepted"
                and self._settings.bool_value("LocalPreAuthorize")
            ):
                return known
            try:
                info = await online(id_tag)
            except Exception as exc:  # connection trouble: decide as if offline
                log.info("authorize fell back to offline policy: %s", type(exc).__name__)
            else:
                self.remember(id_tag, info)
                return effective(info, self._clock.now())
        return self._offline(known)

    def _offline(self, known: IdTagInfo | None) -> IdTagInfo:
        if known is not None and self._settings.bool_value("LocalAuthorizeOffline"):
            return known
        if known is None and self._settings.bool_value("AllowOfflineTxForUnknownId"):
            return {"status": "Accepted"}
        return {"status": "Invalid"}

    def remember(self, id_tag: str, info: IdTagInfo) -> None:
        """Cache what the central system said (local-list tags are never cached, per 3.5.2)."""
        if not self._settings.bool_value("AuthorizationCacheEnabled"):
            return
        if self._settings.bool_value("LocalAuthListEnabled") and self._store.local_list_entry(
            id_tag
        ):
            return
        self._store.cache_put(id_tag, info, now=self._clock.now())

    def may_stop(self, started_by: str, started_info: IdTagInfo | None, presented: str) -> bool:
        """Without asking anyone: the same card, or a card of the same group (parentIdTag)."""
        if presented == started_by:
            return True
        parent = (started_info or {}).get("parentIdTag")
        other = self.known(presented)
        return bool(parent) and other is not None and other.get("parentIdTag") == parent
