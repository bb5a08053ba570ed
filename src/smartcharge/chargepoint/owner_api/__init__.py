"""The local owner API (R5, R7, R33): HTTPS JSON on the charger, no cloud needed.

`server.OwnerApi` is the aiohttp application; `auth` the password, tokens and lock-out;
`history` the session history; `tls` its certificate. The composition root imports `server`
only when `[owner_api] enabled = true`: a charger listens on nothing its config does not enable.
Reference: docs/owner-api.md.
"""
