"""Firmware (issue 6 item 6; R30): an update an operator published for the charger's model is
announced on the charger's pages; one click sends it (SignedUpdateFirmware through
`services/firmware.py`, as the REST API does: the charger verifies the signature before
installing); the progress is the charger's SignedFirmwareStatusNotification, refreshed on the
page as it arrives."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import firmware
from smartcharge.platform.services.errors import Invalid, ServiceError
from smartcharge.platform.web import actions
from smartcharge.platform.web.render import back, page, templates
from smartcharge.platform.web.session import PageCaller, PageCharger

router = APIRouter()

STATUS_WORDS = {
    "Downloading": "Downloading the update",
    "Downloaded": "Downloaded",
    "DownloadFailed": "The download failed",
    "DownloadScheduled": "Download scheduled",
    "DownloadPaused": "Download paused",
    "SignatureVerified": "Signature checked: genuine",
    "InvalidSignature": "Refused: the signature is wrong",
    "InstallScheduled": "Install scheduled",
    "Installing": "Installing",
    "InstallRebooting": "Restarting to finish the install",
    "Installed": "Installed",
    "InstallationFailed": "The install failed",
    "InstallVerificationFailed": "The installed software failed its check",
    "Idle": "Idle",
}


async def _context(charger: PageCharger, ctx: Api) -> dict[str, Any]:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    assert row is not None
    return {
        "identity": charger.identity,
        "charger": row,
        "state": await firmware.state(ctx, charger),
        "release": await firmware.offer(ctx, row),
        "words": STATUS_WORDS,
    }


@router.get("/app/chargers/{identity}/firmware", response_class=HTMLResponse)
async def firmware_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    return page(request, "firmware.html", charger.caller, **await _context(charger, ctx))


@router.get("/app/chargers/{identity}/firmware/progress", response_class=HTMLResponse)
async def progress_fragment(request: Request, charger: PageCharger, ctx: Api) -> Response:
    return templates.TemplateResponse(
        request, "_firmware_progress.html", await _context(charger, ctx)
    )


@router.post("/app/chargers/{identity}/firmware")
async def install(
    charger: PageCharger, ctx: Api, release: Annotated[int, Form(ge=1, le=2**31 - 1)]
) -> Response:
    url = f"/app/chargers/{charger.identity}/firmware"
    try:
        charger.require_admin()  # as the API's route does (its `Managed` dependency)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    found = await firmware.release(ctx, release)
    if found is None:
        return back(url, problem="That update is not published any more.")
    return await actions.run(
        url,
        firmware.install(ctx, charger, found),
        f"Update to {found['version']} sent: the charger checks its signature, then installs.",
    )


@router.post("/app/firmware/releases")
async def publish(
    request: Request,
    ctx: Api,
    who: PageCaller,
    version: Annotated[str, Form(max_length=50)] = "",
    model: Annotated[str, Form(max_length=20)] = "",
    location: Annotated[str, Form(max_length=512)] = "",
    signing_certificate: Annotated[str, Form(max_length=5500)] = "",
    signature: Annotated[str, Form(max_length=800)] = "",
) -> Response:
    url = urlparse(request.headers.get("referer", "")).path
    url = url if url.startswith("/app/") else "/app"
    try:
        await firmware.publish(
            ctx,
            who,
            version=version,
            model=model,
            location=location,
            signing_certificate=signing_certificate,
            signature=signature,
        )
    except Invalid as exc:
        return back(url, problem=f"Not published: {exc.message}.")
    return back(url, done=f"Release {version.strip()} published.")
