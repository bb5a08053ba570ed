"""The platform's use cases, called by both the REST API (`api/`) and the owner web app (`web/`).

A service is a plain async function (or a small class where state is kept) whose first argument
is the `ServiceContext` (`services.context`): the store, the OCPP server, the `Commander` (every
command to a charger goes through it), the DSR service, the clock (`now`) and the random source,
all built once by the composition root (`platform.app`). The caller's identity comes in as a
`Caller` or a `ChargerAccess` (`services.access`), never as an HTTP request.

A service raises domain errors (`services.errors`: `NotFound`, `NotAllowed`, `Invalid`,
`Conflict`, `TooManyAttempts`, and `commands.CommandFailed` for a command that got no usable
answer), never `HTTPException`: `api/` maps them to HTTP statuses with a JSON `detail`, and
`web/` to a page or a one-line message in plain words. A service does no HTTP and renders
nothing; the SQL it needs lives in `platform/store`. See docs/platform.md ("Service layer").
"""
