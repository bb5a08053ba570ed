"""The compliance suite: drives an OCPP 1.6J charge point through a scenario per rule of the
Smart Charge Points Regulations (R1-R39) and writes the technical file from what it found.
See docs/compliance.md."""
