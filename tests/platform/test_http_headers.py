"""Protective headers on every answer, no inline script, the API docs from this server behind a
login, and the login form refusing a cross-site post (issue 15, finding 6)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from api_harness import add_user
from platform_harness import MakePlatform, Platform

import smartcharge.platform.web as web

TEMPLATES = Path(web.__file__).parent / "templates"


def assert_protected(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"


async def test_every_kind_of_answer_carries_the_protective_headers(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.app.http.url) as client:
        for path, status in (
            ("/app/login", 200),
            ("/api/me", 401),
            ("/app/static/app.css", 200),
            ("/no/such/page", 404),
            ("/docs", 303),
        ):
            response = await client.get(path)
            assert response.status_code == status, path
            assert_protected(response)


def test_no_template_has_an_inline_script_or_handler() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            assert "src=" in tag, f"{template.name}: inline <script>"
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), f"{template.name}: on*= handler"
        assert "javascript:" not in text.lower(), template.name


@pytest.mark.parametrize(
    "foreign",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
async def test_the_login_form_refuses_a_cross_site_post(
    platform: Platform, foreign: dict[str, str]
) -> None:
    password = await add_user(platform, "ann@example.org", "owner")
    form = {"email": "ann@example.org", "password": password, "next": "/app"}
    async with httpx.AsyncClient(base_url=platform.app.http.url) as client:
        refused = await client.post("/app/login", data=form, headers=foreign)
        assert refused.status_code == 403
        assert "set-cookie" not in refused.headers  # nobody was logged in
        assert_protected(refused)
        own = {"Origin": platform.app.http.url, "Sec-Fetch-Site": "same-origin"}
        accepted = await client.post("/app/login", data=form, headers=own)
        assert accepted.status_code == 303 and "set-cookie" in accepted.headers


async def test_api_docs_come_from_this_server_and_need_a_login(platform: Platform) -> None:
    password = await add_user(platform, "op@example.org", "operator")
    async with httpx.AsyncClient(base_url=platform.app.http.url) as client:
        assert (await client.get("/openapi.json")).status_code == 401
        docs = await client.get("/docs")
        assert docs.status_code == 303 and docs.headers["location"] == "/app/login"
        login = {"email": "op@example.org", "password": password}
        assert (await client.post("/api/auth/login", json=login)).status_code == 200
        schema = await client.get("/openapi.json")
        assert schema.status_code == 200 and "/api/chargers" in schema.json()["paths"]
        page = await client.get("/docs")
        assert page.status_code == 200
        assert "unsafe-inline" in page.headers["content-security-policy"].split("style-src")[1]
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/docs/") for s in sources), sources
        assert not re.search(r"<script>(?!</script>)", page.text)  # no inline script
        for source in sources:
            served = await client.get(source)
            assert served.status_code == 200 and served.content, source
        assert (await client.get("/redoc")).status_code == 404  # FastAPI's CDN page is off


async def test_api_docs_public_only_when_the_operator_says_so(make_platform: MakePlatform) -> None:
    platform = await make_platform(api_docs_public=True)
    async with httpx.AsyncClient(base_url=platform.app.http.url) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
