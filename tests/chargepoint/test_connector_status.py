"""The pilot-state → OCPP status mapping (OCPP 1.6 section 4.9, IEC 61851-1 states)."""

import pytest

from smartcharge.chargepoint.connector import ConnectorFacts, ocpp_status
from smartcharge.chargepoint.hardware.ports import PilotState as P


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (ConnectorFacts(P.A), "Available"),
        (ConnectorFacts(P.A, reserved=True), "Reserved"),
        (ConnectorFacts(P.A, authorized_waiting=True), "Preparing"),
        (ConnectorFacts(P.B), "Preparing"),
        (ConnectorFacts(P.B, finishing=True), "Finishing"),
        (ConnectorFacts(P.C, transaction=True, offered_a=16), "Charging"),
        (ConnectorFacts(P.D, transaction=True, offered_a=16), "Charging"),
        (ConnectorFacts(P.C, transaction=True, offered_a=0), "SuspendedEVSE"),
        (ConnectorFacts(P.B, transaction=True, offered_a=32), "SuspendedEV"),
        (ConnectorFacts(P.B, transaction=True, offered_a=5.9), "SuspendedEVSE"),
        (ConnectorFacts(P.A, transaction=True, offered_a=32), "Finishing"),
        (ConnectorFacts(P.A, operative=False), "Unavailable"),
        (ConnectorFacts(P.C, transaction=True, operative=False, offered_a=32), "Charging"),
        (ConnectorFacts(P.E), "Faulted"),
        (ConnectorFacts(P.F, transaction=True), "Faulted"),
        (ConnectorFacts(P.B, error_code="GroundFailure"), "Faulted"),
    ],
)
def test_status_mapping(facts: ConnectorFacts, expected: str) -> None:
    assert ocpp_status(facts) == expected
