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
from smartcharge.platform.commands import CommandFailed
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


REFUSED = {  # the charger's answer to SignedUpdateFirmware: why, and what to do next
    "Rejected": "the charger would not start an update now (it may be charging a car or busy"
    " with another update). Nothing changed: try again when no car is charging.",
    "InvalidCertificate": "the update's signing certificate is not one the charger trusts, so it"
    " is not from your charger's manufacturer. Nothing changed: do not install it, and tell"
    " whoever published it.",
    "RevokedCertificate": "the update was signed with a certificate the manufacturer has"
    " withdrawn. Nothing changed: wait for a new release.",
}
NEXT_STEP = {  # after a failure the charger reported: it kept or went back to its software
    "DownloadFailed": "Nothing changed on the charger. Check its internet connection, then"
    " install again.",
    "InvalidSignature": "The charger refused the file and kept its software (R29). Do not"
    " install this release again: tell whoever published it.",
    "InstallationFailed": "The charger went back to the software it had. Try again later; if it"
    " fails again, contact the manufacturer's support.",
    "InstallVerificationFailed": "The charger went back to the software it had (its start-up"
    " check failed, R31). Contact the manufacturer's support.",
}


def refusal(answer: Any) -> str | None:
    """The charger's refusal of an install in plain words with the next step, or None."""
    status = answer.get("status") if isinstance(answer, dict) else None
    if status in (None, "Accepted", "AcceptedCanceled"):
        return None
    why = REFUSED.get(str(status), f"it answered {status}.")
    return f"The charger refused the update: {why}"


async def _context(charger: PageCharger, ctx: Api) -> dict[str, Any]:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    assert row is not None
    return {
        "identity": charger.identity,
        "charger": row,
        "state": await firmware.state(ctx, charger),
        "release": await firmware.offer(ctx, row),
        "words": STATUS_WORDS,
        "next_step": NEXT_STEP,
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
    try:
        answer = await firmware.install(ctx, charger, found)
    except CommandFailed as exc:
        return back(url, problem=actions.OUTCOME_WORDS.get(exc.outcome, exc.message))
    except ServiceError as exc:
        return back(url, problem=exc.message)
    if problem := refusal(answer):
        return back(url, problem=problem)
    done = f"Update to {found['version']} sent: the charger checks its signature, then installs."
    return back(url, done=done)


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
