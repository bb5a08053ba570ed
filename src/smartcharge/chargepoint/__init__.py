"""The charge point's software: OCPP 1.6J client, metering, durable outbox, hardware."""
