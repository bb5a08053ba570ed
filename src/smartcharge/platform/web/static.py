"""The web app's own two static files, served by name from the package (no directory listing,
nothing else reachable), cached by the browser for an hour."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()

FILES = {"app.css": "text/css", "live.js": "text/javascript"}
FOLDER = Path(__file__).with_name("static")


@router.get("/app/static/{name}")
async def static_file(name: str) -> FileResponse:
    if name not in FILES:
        raise HTTPException(404, "no such file")
    return FileResponse(
        FOLDER / name,
        media_type=FILES[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )
