"""A manufacturer PKI made at test time (no key is ever committed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from smartcharge.manufacturer.keys import KeyFiles, create_keys

VERIFY_AT = datetime.now(UTC) + timedelta(hours=1)
"""When tests check images against these certificates: inside every certificate made in this run.
The session's certificates are made when a test first asks for them, with the real clock, valid
from five minutes before; a module reading the clock at import instead found them "not valid
before" when a loaded run made them more than five minutes after collection (CI, load 19)."""


@pytest.fixture(scope="session", params=["ecdsa", "rsa"])
def pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    out = tmp_path_factory.mktemp("pki") / request.param
    return create_keys(out, organization="Acme Chargers", algorithm=request.param, model="AC-7")


@pytest.fixture(scope="session")
def ec_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyFiles]:
    yield create_keys(tmp_path_factory.mktemp("pki") / "ec", organization="Acme Chargers")


@pytest.fixture(scope="session")
def rsa_pki(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    out = tmp_path_factory.mktemp("pki") / "rsa-only"
    return create_keys(out, organization="Acme Chargers", algorithm="rsa", model="AC-7")
