"""The requirements R1-R39 of the Smart Charge Points Regulations, as data.

The ids, order and wording follow REGULATIONS.md (shared/REGULATIONS.md), our own summary of UK SI
2021/1467 with our decisions on what the law leaves open. The compliance suite and the technical
file (R39) use this catalogue; test names, code comments and evidence cite the ids.

``automatable`` says whether a test can prove the requirement on its own. Where it is False
("manual" in the table below) a person must judge or inspect something a test cannot reach (a
threat model, the effort of set-up, a physical enclosure); tests still cover the parts they can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    text: str
    regulation: str
    automatable: bool


# One requirement per entry: "id | regulation | title [| manual]", then its text, indented.
_TABLE = """
R1 | reg 5 | Network communication
    Send and receive information over a communications network: OCPP 1.6J over TLS.
R2 | reg 5 | Raise or lower the rate on signals
    Increase or decrease the rate of charging in response to signals received.
R3 | reg 5 | Shift charging time on signals
    Change the time at which electricity flows in response to signals received.
R4 | reg 5 | Demand side response
    Be able to provide demand side response services, including response DSR services, in which
    the charge point must answer a signal at once (for example a frequency-response turn-down),
    as distinct from a DSR event scheduled for a set time.
R5 | reg 5 | Owner user interface
    At least one user interface through which the owner operates every owner function of this
    catalogue: the platform's web app, and a local owner API on the charger so nothing depends
    on one cloud.
R6 | reg 6 | Supplier and platform interoperability
    Changing electricity supplier or management platform never removes smart functionality: no
    supplier is hard-coded, the central system URL and credentials can be changed by the owner,
    and the history is kept.
R7 | reg 7 | Charging without a network
    With no network at all the charge point still charges: local schedules, default hours, the
    random delay, local authorisation list and authorisation cache for RFID; measurements are
    buffered and sent later.
R8 | reg 8 | Safety of owner and user input
    No owner or user input may create a safety risk: setpoints above the hardware or
    installation limit, negative or NaN values and unsupported phase changes are rejected or
    clamped, and logged. The owner may override the default charging mode, DSR and the random
    delay, and nothing else.
R9 | reg 9 | Per-session measurements
    For each use: energy imported (and exported) in Wh/kWh and the time spent importing or
    exporting; every start, stop, increase and decrease of the rate with its time.
R10 | reg 9 | Twelve months of history for the owner
    The owner can view every session of the past 12 months, any month of them, and the whole 12
    months. Decision: keep 366 days of session records; daily, weekly, monthly and custom
    periods; CSV download.
R11 | reg 9 | Power measured every second
    Measure the power in watts every second and be able to provide it over the network.
    Decision: sample at 1 Hz always; upload per MeterValueSampleInterval (1 s allowed) and on
    TriggerMessage; keep the 1 s samples of at least the last 7 days on the charger.
R12 | reg 9 | Measurement accuracy
    Measurements are within 10% of the true value and not systematically off; the simulated
    meter can inject error so the compliance suite proves the check catches it.
R13 | reg 10 | Peak hours
    Peak hours are 08:00-11:00 and 16:00-22:00, Monday to Friday, UK clock time. Decision: bank
    holidays are weekdays (the law says weekdays); the holiday calendar is configurable.
R14 | reg 10 | Default charging hours
    The charge point ships with default charging hours outside peak hours. Decision: weekdays
    22:00-08:00 and 11:00-16:00, weekends all day, with the end of each window brought forward
    by the current random-delay maximum so that a delayed stop never lands in peak.
R15 | reg 10 | First-use offer of default hours
    On first use the owner is offered the default hours and can accept them, remove them or set
    different ones; the choice and its time are recorded.
R16 | reg 10 | Changing default hours later
    After first use the owner can change, remove or set the default hours at any time.
R17 | reg 10 | Charge only in default hours
    Unless overridden, the charge point charges only during the default charging hours.
R18 | reg 10 | Charge-now override
    The owner can override the default mode ("charge now") for the current session only.
R19 | reg 10 | DSR override
    The owner can override a DSR event.
R20 | reg 10 | DSR agreement exemption
    R14-R18 do not apply when the charge point is sold with a DSR agreement and configured for
    it; the agreement's details then go into the statement of compliance.
R21 | reg 11 | Random delay up to 1800 s
    At each relevant time the charge point can delay by a random whole number of seconds, up to
    1800.
R22 | reg 11 | Default maximum 600 s
    By default the maximum delay is 600 s. Decision: uniform over the integers 0..max inclusive,
    drawn from a CSPRNG (seedable only in tests), never from a clock-seeded generator.
R23 | reg 11 | Remotely adjustable maximum
    The maximum can be raised or lowered remotely (an OCPP configuration key) within 0..1800,
    and is persisted; a value outside that range is rejected.
R24 | reg 11 | Relevant times
    A relevant time is any point at which, but for the delay, electricity would start flowing or
    the rate would go up or down, including a stop (down to 0), plug-in with charging allowed,
    and power coming back with a car connected. The previous rate is held during the delay.
    Decision: a change arriving during a delay retargets it without a new draw; changes below
    0.1 A are noise, not relevant times; the delay runs on the monotonic clock.
R25 | reg 11 | Owner override of the delay
    The owner can override the delay at each relevant time (skip it now, or no delay this
    session) and sees a countdown.
R26 | reg 11 | No delay when exempt
    No delay when the owner or another end user has overridden it, when an equivalent random
    delay was already applied (a profile or event marked already randomised), or when the charge
    point is providing response DSR services at that time. A DSR event scheduled for a set time
    is a relevant time like any other, and a tariff or price-driven change is not DSR and is
    delayed. Decision: every DSR event carries kind 'response' (executed at once) or 'scheduled'
    (delayed by the charger unless the platform spread it across the fleet and marked it already
    randomised, which it does by default).
R27 | Schedule 1 | Protection and threat model | manual
    Protect the electricity system, the charge point and personal data; the threat model is in
    the docs.
R28 | Schedule 1 | Unique passwords
    Passwords are unique per charge point, from a CSPRNG, never derived from the serial number,
    MAC or any other public value and never resettable to a shared default; or set by the owner.
    (EN 303 645 5.1-1)
R29 | Schedule 1 | Secure software updates
    Software is securely updatable; each update's origin and integrity are verified (a signature
    chain to the manufacturer's certificate) before install; a bad image is rejected and logged.
    Images may also be encrypted with a per-model key. (EN 303 645 5.3)
R30 | Schedule 1 | Update checks and notice
    Check for updates at set-up and periodically (decision: at boot and every 24 h); tell the
    owner about updates by default; the owner can apply one easily.
R31 | Schedule 1 | Secure boot
    At start the software verifies it has not been changed except by a valid update; if it has,
    it notifies the owner and connects to the network only to do that. (EN 303 645 5.7-1/2)
R32 | Schedule 1 | Protected credentials
    Security credentials are stored protected (file permissions, encrypted at rest); no hard-
    coded credentials anywhere. (EN 303 645 5.4)
R33 | Schedule 1 | Encrypted communication
    All communication is encrypted: OCPP over wss (TLS 1.2 or later, certificate validated),
    HTTPS for the local API. (EN 303 645 5.5)
R34 | Schedule 1 | Input validation
    Data inputs are validated for type and format; what fails is rejected or ignored, never half
    applied. (EN 303 645 5.13-1)
R35 | Schedule 1 | Easy set-up and deletion of personal data | manual
    Minimal owner effort to set up; personal data deletable by the owner without difficulty (a
    factory reset wipes sessions, RFID lists, network credentials and owner data). (EN 303 645
    5.11, 5.12)
R36 | Schedule 1 | Tamper protection | manual
    A tamper protection boundary: an attempt to open the enclosure is detected, logged and the
    owner notified; unused interfaces and services are off; least privilege. (EN 303 645 5.6)
R37 | Schedule 1 | Security log
    A security log of attempts, successful or not, to breach the tamper boundary, to tamper with
    the charge point or to gain unauthorised access, with date and time in UTC; persisted,
    tamper-evident and exportable (OCPP SecurityEventNotification / GetLog).
R38 | Schedule 1 | Provision of information
    Model designation, software version, support period and a vulnerability-reporting contact
    are visible to the owner.
R39 | reg 13 | Statement of compliance and technical file
    A statement of compliance and a technical file per model and software version, in the
    structure of the seed template, every "Compliant" row backed by a named, passing test with
    its evidence.
"""

_HEAD = re.compile(r"(R\d+) \| ([^|]+?) \| ([^|]+?)( \| manual)?")


def _parse(table: str) -> tuple[Requirement, ...]:
    entries: list[tuple[re.Match[str], list[str]]] = []
    for line in table.strip().splitlines():
        if line.startswith("    "):
            entries[-1][1].append(line.strip())
            continue
        head = _HEAD.fullmatch(line)
        if head is None:
            raise ValueError(f"bad catalogue line: {line!r}")
        entries.append((head, []))
    return tuple(
        Requirement(head[1], head[3], " ".join(text), head[2], head[4] is None)
        for head, text in entries
    )


CATALOGUE: tuple[Requirement, ...] = _parse(_TABLE)

_BY_ID = {r.id: r for r in CATALOGUE}


def get(id: str) -> Requirement:
    """The requirement with this id ("R13"); KeyError naming the id if there is none."""
    try:
        return _BY_ID[id]
    except KeyError:
        raise KeyError(f"no requirement {id!r} (ids are R1..R{len(CATALOGUE)})") from None
