"""The words of the technical file that are not test results: the product, and for each
requirement the technical solution adopted (plain English, as the seed template asks).

Keep these true to the code: each names the module or document that does what it says.
"""

from __future__ import annotations

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Smart functionality", ("R1", "R2", "R3", "R4", "R5")),
    ("Electricity supplier interoperability", ("R6",)),
    ("Loss of communications network access", ("R7",)),
    ("Safety", ("R8",)),
    ("Measuring system", ("R9", "R10", "R11", "R12")),
    ("Off-peak charging", ("R13", "R14", "R15", "R16", "R17", "R18", "R19", "R20")),
    ("Randomised delay", ("R21", "R22", "R23", "R24", "R25", "R26")),
    ("Security", tuple(f"R{n}" for n in range(27, 39))),
    ("Assurance (regulation 13)", ("R39",)),
)

DESCRIPTION = """\
smartcharge is an open software stack for a smart electric vehicle charge point for homes and
workplaces in Great Britain, under 50 kW. The charge point software runs on the charger's
embedded Linux board and drives its hardware: per connector a control pilot, a contactor, a cable
lock and an energy meter, plus a card reader, a tamper switch and a status light. This technical
file is for the simulated hardware model, on which the same software runs with every piece of
hardware simulated; the tests below ran against it.

The charger talks to a management platform (central system) using OCPP 1.6J, with the security
profiles of the OCA security whitepaper (HTTP Basic auth, TLS). Any platform can be used: the
platform address and credentials are the owner's configuration, not built in. The UK owner
controls that OCPP has no message for (default charging hours, charge now, the random delay,
demand side response events) travel as OCPP DataTransfer messages with vendor id
org.smartcharge.uk, documented for any platform to use.

All the rules of the Regulations are enforced on the charger itself, so they hold with no network:
default charging hours outside peak hours, a random delay of up to 30 minutes at every change of
charging rate, response and scheduled demand side response, owner overrides. Sessions and the
power measured every second are stored on the charger and sent to the platform when it is reached.
"""

MANUAL_LINK = "docs/chargepoint.md (configuration and operation), docs/ocpp-extensions.md"

SOLUTIONS: dict[str, str] = {
    "R1": "OCPP 1.6J over a websocket (wss:// with TLS 1.2 or later in security profiles 2 and 3)"
    " to any central system; messages validated against the official schemas both ways.",
    "R2": "OCPP smart charging: charging profiles (ChargePointMaxProfile, TxDefaultProfile,"
    " TxProfile) set the current offered through the control pilot; DSR events over"
    " DataTransfer lower or raise it.",
    "R3": "Charging profiles with a start time and schedule periods move when electricity flows;"
    " the owner's default charging hours and DSR events do the same.",
    "R4": "DSR events (DataTransfer DsrEvent) of kind 'response' act at once with no random delay;"
    " 'scheduled' events act at their start time; both persist and work offline once received.",
    "R5": "The owner uses the platform's web app, and the charger keeps a local owner API so"
    " nothing depends on one cloud; every owner control also exists as an OCPP DataTransfer.",
    "R6": "No supplier or platform is built in: the central system URL and credentials are"
    " configuration; settings and history are kept in the charger's store across a change.",
    "R7": "Schedules, default hours, the random delay and DSR events run on the charger; cards"
    " are checked against the local list and cache offline; transaction messages are queued on"
    " disk and sent when the network returns.",
    "R8": "Every current the charger offers is capped at the hardware and installation limit;"
    " negative or malformed setpoints are rejected and logged; the owner can override only the"
    " default charging mode, DSR and the random delay.",
    "R9": "Each session records energy imported (Wh), its start and stop times and every change"
    " of rate with its time and cause; StartTransaction/StopTransaction/MeterValues report them.",
    "R10": "366 days of sessions are kept on the charger; the owner views sessions, months and"
    " the whole year, with CSV download, in the owner interfaces.",
    "R11": "The meter is read every second; power (W) is sent every MeterValueSampleInterval"
    " (1 s allowed) and on TriggerMessage; 7 days of 1 s samples are kept on the charger.",
    "R12": "A meter within 10 % of the true value; the simulated meter's error knob lets the"
    " suite prove that its accuracy check catches a meter that is off.",
    "R13": "Peak hours 08:00-11:00 and 16:00-22:00 UK time, Monday to Friday"
    " (smartcharge.regulations.peak); bank holidays count as weekdays.",
    "R14": "Default hours weekdays 22:00-08:00 and 11:00-16:00, weekends all day, each window's"
    " end brought forward by the random-delay maximum (smartcharge.regulations.default_hours).",
    "R15": "At first use the defaults apply and are offered; the owner accepts, removes or"
    " replaces them (SetDefaultHours) and the answer is stored with its time and who gave it.",
    "R16": "The owner changes, removes or restores the default hours at any time.",
    "R17": "Outside the default hours the charger offers no current unless overridden.",
    "R18": "ChargeNow overrides the default hours for the current session only, with no delay.",
    "R19": "DsrOptOut lets the owner override a DSR event.",
    "R20": "When sold with a DSR agreement and configured for it, R14-R18 do not apply and the"
    " agreement is named in the statement of compliance.",
    "R21": "At every relevant time a delay of a whole number of seconds up to the maximum"
    " (at most 1800 s) is drawn, and the previous rate held meanwhile.",
    "R22": "Default maximum 600 s; draws uniform over 0..max from the operating system's CSPRNG.",
    "R23": "OCPP configuration key RandomisedDelayMaxSeconds, 0..1800, persisted; other values"
    " are rejected.",
    "R24": "Relevant times: start of flow, every rise or fall of the rate (including tariff"
    " changes and scheduled DSR), plug-in with charging allowed, power back with a car connected.",
    "R25": "The owner sees the countdown (RandomDelay DataTransfer, local state) and can skip"
    " the delay now or for the session (SkipDelay).",
    "R26": "No delay for owner overrides, for changes already randomised by the platform, and for"
    " response DSR.",
    "R27": "Threat model in docs/security.md: assets, threats and the control for each.",
    "R28": "A unique 192-bit password per charger from the CSPRNG at provisioning; no default or"
    " shared password exists; none is derived from serial number or MAC.",
    "R29": "Firmware images signed by the manufacturer's firmware-signing certificate (chain to"
    " the installed root) and optionally encrypted per model; verified before install.",
    "R30": "Update checks at boot and every 24 h; the owner is told and applies an update easily.",
    "R31": "A signed manifest of every installed file is checked at start; on a mismatch the"
    " owner is notified and the network is used only for that.",
    "R32": "Credentials sealed with a per-device key (AES-256-GCM), files 0600; no hard-coded"
    " credentials (a test scans the source).",
    "R33": "OCPP over wss with TLS 1.2 or later and the central system's certificate checked;"
    " HTTPS for the local owner API.",
    "R34": "Every OCPP message is schema-validated; every UK DataTransfer and configuration"
    " value is checked in full and rejected as a whole when wrong.",
    "R35": "Set-up needs only the platform address and the provisioned credentials; a factory"
    " reset wipes sessions, card lists, network credentials and owner data.",
    "R36": "A tamper switch on the enclosure; an opening is logged and notified; no debug"
    " interfaces or unused services enabled.",
    "R37": "A hash-chained security log in UTC, sent as SecurityEventNotification and exported"
    " through GetLog.",
    "R38": "Model, software version, support period and vulnerability contact shown to the owner.",
    "R39": "This technical file and statement of compliance, generated by `smartcharge"
    " compliance run` from the tests it ran: a row is compliant only when its test passed.",
}
