"""The manufacturer's tools: firmware signing keys and certificates, signed (and encrypted) images.

These run in the factory or the build pipeline, never on a charger. The charger's side of the same
formats is `smartcharge.chargepoint.security` (firmware_verify, firmware_image, boot_integrity).
"""
