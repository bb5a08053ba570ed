"""Firmware (issue 6 item 6; R30): an update an operator published for the charger's model is
announced on the charger's pages; one click sends it (SignedUpdateFirmware through the REST
API's own handler: the charger verifies the signature before installing); the progress is the
charger's SignedFirmwareStatusNotification, refreshed on the page as it arrives."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.firmware import firmware, update_firmware
from smartcharge.platform.api.schemas import FirmwareRequest
from smartcharge.platform.web import actions
from smartcharge.platform.web.records import WebRecords
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


async def offer(ctx: Api, row: Any) -> dict[str, Any] | None:
    """The newest release for the charger's model, if it is not what the charger runs."""
    release = await WebRecords(ctx.store.engine).latest_release(row["model"])
    if release is None or release["version"] == row["firmware_version"]:
        return None
    return release


async def _context(charger: PageCharger, ctx: Api) -> dict[str, Any]:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    assert row is not None
    state = await firmware(charger, ctx)
    return {
        "identity": charger.identity,
        "charger": row,
        "state": state,
        "release": await offer(ctx, row),
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
    except HTTPException as exc:
        return back(url, problem=str(exc.detail))
    found = await WebRecords(ctx.store.engine).release(release)
    if found is None:
        return back(url, problem="That update is not published any more.")
    body = FirmwareRequest(
        location=found["location"],
        retrieve_date=ctx.now(),
        signing_certificate=found["signing_certificate"],
        signature=found["signature"],
    )
    return await actions.run(
        url,
        update_firmware(body, charger, ctx),
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
    """An operator publishes a signed release (as `smartcharge manufacturer` builds it)."""
    url = urlparse(request.headers.get("referer", "")).path
    url = url if url.startswith("/app/") else "/app"
    if who.role != "operator":
        raise HTTPException(403, "only an operator publishes firmware")
    try:
        checked = FirmwareRequest(
            location=location.strip(),
            retrieve_date=ctx.now(),
            signing_certificate=signing_certificate.strip(),
            signature=signature.strip(),
        )
    except ValidationError as exc:
        return back(url, problem=f"Not published: {exc.errors()[0]['loc'][-1]} is missing.")
    if not version.strip():
        return back(url, problem="Not published: the version is missing.")
    await WebRecords(ctx.store.engine).publish(
        at=ctx.now(),
        model=model.strip() or None,
        version=version.strip(),
        location=checked.location,
        signing_certificate=checked.signing_certificate,
        signature=checked.signature,
    )
    return back(url, done=f"Release {version.strip()} published.")
