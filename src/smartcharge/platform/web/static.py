"""The web app's own static files (stylesheet, script, the installable app's manifest, icon and
service worker), served by name from the package (no directory listing, nothing else
reachable), cached by the browser for an hour (the service worker: checked at each visit)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()

FILES = {
    "app.css": "text/css",
    "live.js": "text/javascript",
    "sw.js": "text/javascript",
    "icon.svg": "image/svg+xml",
    "manifest.webmanifest": "application/manifest+json",
}
FOLDER = Path(__file__).with_name("static")


@router.get("/app/static/{name}")
async def static_file(name: str) -> FileResponse:
    if name not in FILES:
        raise HTTPException(404, "no such file")
    headers = {"Cache-Control": "public, max-age=3600"}
    if name == "sw.js":  # it looks after every page under /app, and is checked for updates
        headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/app"}
    return FileResponse(FOLDER / name, media_type=FILES[name], headers=headers)
