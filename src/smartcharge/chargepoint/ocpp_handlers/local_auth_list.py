"""OCPP 1.6 Local Auth List Management: GetLocalListVersion and SendLocalList (full or
differential), within LocalAuthListMaxLength and SendLocalListMaxLength; a list that would not
fit, or names a card twice, changes nothing."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call, call_result

from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.store import Store
from smartcharge.ocpp.rpc import RpcEndpoint


class LocalAuthListHandlers:
    def __init__(self, store: Store, configuration: Configuration) -> None:
        self.store = store
        self.config = configuration

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("GetLocalListVersion", self.get_local_list_version)
        ep.route("SendLocalList", self.send_local_list, raw=True)

    async def get_local_list_version(
        self, req: call.GetLocalListVersion
    ) -> call_result.GetLocalListVersion:
        if not self.config.bool_value("LocalAuthListEnabled"):
            return call_result.GetLocalListVersion(list_version=-1)
        return call_result.GetLocalListVersion(list_version=self.store.local_list_version())

    async def send_local_list(self, req: dict[str, Any]) -> dict[str, Any]:
        store = self.store
        if not self.config.bool_value("LocalAuthListEnabled"):
            return {"status": "NotSupported"}
        version = int(req["listVersion"])
        entries = req.get("localAuthorizationList") or []
        tags = [e["idTag"] for e in entries]
        if len(entries) > self.config.int_value("SendLocalListMaxLength") or len(set(tags)) != len(
            tags
        ):
            return {"status": "Failed"}
        if req["updateType"] == "Full":
            full = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
            if len(full) > self.config.int_value("LocalAuthListMaxLength"):
                return {"status": "Failed"}
            store.replace_local_list(version, full)
            return {"status": "Accepted"}
        if version <= store.local_list_version():
            return {"status": "VersionMismatch"}
        diff = {e["idTag"]: e.get("idTagInfo") for e in entries}
        adds = sum(
            1 for tag, info in diff.items() if info is not None and not store.local_list_entry(tag)
        )
        removes = sum(
            1 for tag, info in diff.items() if info is None and store.local_list_entry(tag)
        )
        if store.local_list_size() + adds - removes > self.config.int_value(
            "LocalAuthListMaxLength"
        ):
            return {"status": "Failed"}
        store.update_local_list(version, diff)
        return {"status": "Accepted"}
