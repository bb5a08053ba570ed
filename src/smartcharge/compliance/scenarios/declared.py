"""Requirements the suite does not prove by a test, each with the reason (never "pass").

- manual: a person must judge something no test reaches (a threat model, a physical enclosure,
  the effort of set-up);
- not applicable: the rule does not apply to this charger as sold (R20 without a DSR agreement;
  R14-R18 with one);
- not run: a test is possible but the suite cannot run it yet, and says what is missing.
"""

from __future__ import annotations

from smartcharge.compliance.dsr_agreement import DsrAgreement
from smartcharge.compliance.results import Outcome

_OFF_PEAK = ("R14", "R15", "R16", "R17", "R18")

_FIXED: dict[str, tuple[Outcome, str]] = {
    "R27": (
        Outcome.MANUAL,
        "a threat model is judged, not tested: docs/security.md (threat model) lists each asset,"
        " threat and control; the controls are tested under R28-R37",
    ),
    "R35": (
        Outcome.MANUAL,
        "the effort of set-up is judged by a person; deleting personal data is tested under R5"
        " (the owner API's factory reset: password, sessions and the first-use answer gone)",
    ),
    "R36": (
        Outcome.MANUAL,
        "the enclosure, unused interfaces and privileges are inspected on the hardware; the"
        " automatable part (an opened enclosure is logged and notified) is tested under R37",
    ),
}


# The same rules for a charger of another make: nothing of ours is cited as its evidence.
_FIXED_ANY: dict[str, tuple[Outcome, str]] = {
    "R27": (
        Outcome.MANUAL,
        "a threat model is judged, not tested: the manufacturer's threat model (each asset,"
        " threat and control) is assessed by a person",
    ),
    "R35": (
        Outcome.MANUAL,
        "the effort of set-up, and that the owner can delete their personal data (a factory reset"
        " wiping sessions, card lists, network credentials and owner data), are judged on the"
        " charger by a person",
    ),
    "R36": (
        Outcome.MANUAL,
        "the enclosure, unused interfaces and privileges are inspected on the hardware; opening"
        " the enclosure must be logged and notified (open it and watch for a"
        " SecurityEventNotification)",
    ),
}


def declared(
    requirement: str, simulated: bool, agreement: DsrAgreement | None
) -> tuple[Outcome, str] | None:
    """The declared outcome and reason for `requirement`, or None when a test decides it."""
    if requirement == "R20":
        if agreement is None:
            return (
                Outcome.NOT_APPLICABLE,
                "sold without a DSR agreement (none was given to the suite): R14-R18 apply",
            )
        return (
            Outcome.MANUAL,
            f"sold with DSR agreement {agreement.agreement_reference} with {agreement.provider}"
            f" ({agreement.services}); configured as: {agreement.configuration}. Check the"
            " configuration on the charger by hand",
        )
    if requirement in _OFF_PEAK and agreement is not None:
        return (
            Outcome.NOT_APPLICABLE,
            f"R20: sold with DSR agreement {agreement.agreement_reference} with"
            f" {agreement.provider}, so R14-R18 do not apply",
        )
    return (_FIXED if simulated else _FIXED_ANY).get(requirement)
