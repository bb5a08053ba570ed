"""The charge point's security: security log, provisioning, firmware verification, boot integrity.

Each module stands alone (no imports of the station, link or handlers); the charge point's
composition root wires them in. See docs/security.md.
"""
