"""The charge point's software: OCPP 1.6J client, metering, durable outbox, hardware."""

from smartcharge.chargepoint.ocpp_import import defer_jsonschema

# Before any module of the charger imports the `ocpp` package (ocpp_import.py says why).
defer_jsonschema()
