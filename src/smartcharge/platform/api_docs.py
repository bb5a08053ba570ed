"""The REST API's own documentation: the OpenAPI schema at /openapi.json and Swagger UI at
/docs, both from this server (Swagger UI's files from the installed `swagger-ui-bundle`
package, its start-up from `docs_static/init.js`; nothing from a CDN, nothing inline), and
both for logged-in users only unless the operator sets `api_docs_public` (issue 15, finding 6).
FastAPI's own CDN-loading /docs and /redoc are switched off (`create_api`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from swagger_ui_bundle import swagger_ui_path

from smartcharge.platform.api.auth import bearer_scheme, caller, cookie_scheme

FILES = {  # the page's files: Swagger UI's (no data in them) and our start-up; nothing else
    "swagger-ui.css": (Path(str(swagger_ui_path)) / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (
        Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
        "text/javascript",
    ),
    "swagger-ui-standalone-preset.js": (
        Path(str(swagger_ui_path)) / "swagger-ui-standalone-preset.js",
        "text/javascript",
    ),
    "init.js": (Path(__file__).parent / "docs_static" / "init.js", "text/javascript"),
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>smartcharge platform: REST API</title>
<link rel="stylesheet" href="/docs/files/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/files/swagger-ui-bundle.js"></script>
<script src="/docs/files/swagger-ui-standalone-preset.js"></script>
<script src="/docs/files/init.js"></script>
</body>
</html>
"""


def mount_docs(api: FastAPI, *, public: bool) -> None:
    async def logged_in(request: Request) -> bool:
        if public:
            return True
        try:
            await caller(
                request,
                request.app.state.ctx,
                await bearer_scheme(request),
                await cookie_scheme(request),
            )
        except HTTPException:
            return False
        return True

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> Response:
        if not await logged_in(request):
            return JSONResponse(
                {"detail": "log in (session cookie) or send a bearer token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        schema: dict[str, Any] = api.openapi()
        return JSONResponse(schema)

    @api.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        if not await logged_in(request):
            return RedirectResponse("/app/login", status_code=303)
        return HTMLResponse(PAGE)

    @api.get("/docs/files/{name}", include_in_schema=False)
    async def docs_file(name: str) -> Response:
        found = FILES.get(name)
        if found is None:
            return Response("Not Found\n", status_code=404, media_type="text/plain")
        path, media_type = found
        return FileResponse(path, media_type=media_type)
