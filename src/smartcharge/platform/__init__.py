"""The management platform: OCPP 1.6J central system, charger registry and store.

`smartcharge platform serve` runs it (see docs/platform.md); `app.PlatformApp` is the composition
root, `ocpp_server.OcppServer` the OCPP endpoint, `store.Store` the database.
"""
