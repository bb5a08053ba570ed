"""The suite against our own charger runs once per session, shared by the compliance tests
(tests/support/compliance_observed.py says how and why)."""

from __future__ import annotations

import pytest
from compliance_observed import Observed, observe_run


@pytest.fixture(scope="session")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    return observe_run(tmp_path_factory.mktemp("compliance"))
