"""The configuration keys this charger has, with their defaults and bounds.

`STANDARD_KEYS`: the keys of the Core, Local Auth List Management, Reservation and Smart
Charging profiles (the Firmware Management and Remote Trigger profiles define no keys) and the
two keys of the OCPP 1.6 Security Whitepaper we implement, `AuthorizationKey` and
`SecurityProfile`. `UK_KEYS`: the UK extension's.
"""

from __future__ import annotations

from smartcharge.chargepoint.key_definitions import (
    CSL_MAX,
    FEATURE_PROFILES,
    MEASURANDS,
    KeyDef,
    bool_key,
    int_key,
    measurands_key,
)

STANDARD_KEYS: tuple[KeyDef, ...] = (
    # --- Core ---
    bool_key(
        "AllowOfflineTxForUnknownId",
        False,
        "Offline, start a transaction for an idTag that is in neither the local list nor cache.",
    ),
    bool_key("AuthorizationCacheEnabled", True, "Keep a cache of the idTags the CSMS accepted."),
    bool_key(
        "AuthorizeRemoteTxRequests",
        False,
        "Authorize the idTag of a RemoteStartTransaction before starting it.",
    ),
    int_key("BlinkRepeat", 3, 0, 100, "Times to blink the indicator when signalling."),
    int_key(
        "ClockAlignedDataInterval",
        900,
        0,
        86400,
        "Seconds between clock-aligned meter values, from midnight; 0 = none.",
    ),
    int_key(
        "ConnectionTimeOut",
        120,
        1,
        3600,
        "Seconds from Preparing until an unplugged incipient transaction is cancelled.",
    ),
    KeyDef(
        "ConnectorPhaseRotation",
        "csl",
        "0.Unknown",
        max_items=9,
        description=(
            "Phase rotation per connector as <connectorId>.<rotation> (0 = the grid connection); "
            "rotation is one of NotApplicable, Unknown, RST, RTS, SRT, STR, TRS, TSR."
        ),
    ),
    int_key(
        "ConnectorPhaseRotationMaxLength",
        9,
        1,
        9,
        "Most members ConnectorPhaseRotation may hold.",
        readonly=True,
    ),
    int_key(
        "GetConfigurationMaxKeys",
        100,
        1,
        1000,
        "Most keys one GetConfiguration may ask for.",
        readonly=True,
    ),
    int_key(
        "HeartbeatInterval", 300, 1, 86400, "Seconds of inactivity before a Heartbeat is sent."
    ),
    int_key("LightIntensity", 50, 0, 100, "Indicator brightness, percent."),
    bool_key(
        "LocalAuthorizeOffline",
        True,
        "Offline, start transactions for idTags the local list or cache accepts.",
    ),
    bool_key(
        "LocalPreAuthorize",
        False,
        "Online, start at once for idTags the local list or cache accepts, not awaiting the CSMS.",
    ),
    int_key(
        "MaxEnergyOnInvalidId",
        0,
        0,
        1_000_000,
        "Wh still delivered after an idTag is found invalid during a transaction.",
    ),
    measurands_key(
        "MeterValuesAlignedData",
        "Energy.Active.Import.Register",
        CSL_MAX,
        "Measurands sent at each ClockAlignedDataInterval.",
    ),
    int_key(
        "MeterValuesAlignedDataMaxLength",
        CSL_MAX,
        1,
        len(MEASURANDS),
        "Most members MeterValuesAlignedData may hold.",
        readonly=True,
    ),
    measurands_key(
        "MeterValuesSampledData",
        "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,"
        "Current.Offered,SoC",
        CSL_MAX,
        "Measurands sampled during a transaction, sent every MeterValueSampleInterval.",
    ),
    int_key(
        "MeterValuesSampledDataMaxLength",
        CSL_MAX,
        1,
        len(MEASURANDS),
        "Most members MeterValuesSampledData may hold.",
        readonly=True,
    ),
    int_key(
        "MeterValueSampleInterval",
        60,
        0,
        86400,
        "Seconds between sampled meter values during a transaction; 0 = none; 1 s allowed (R11).",
    ),
    int_key(
        "MinimumStatusDuration",
        0,
        0,
        3600,
        "Seconds a status must hold before a StatusNotification is sent; 0 = send at once.",
    ),
    int_key("NumberOfConnectors", 2, 1, 8, "Number of connectors (from the TOML).", readonly=True),
    int_key("ResetRetries", 3, 0, 100, "Times to retry a failed reset."),
    bool_key(
        "StopTransactionOnEVSideDisconnect",
        True,
        "Stop the transaction when the cable is unplugged at the EV.",
    ),
    bool_key(
        "StopTransactionOnInvalidId",
        True,
        "Stop a transaction when its idTag is found invalid (else just stop energy).",
    ),
    measurands_key(
        "StopTxnAlignedData",
        "",
        CSL_MAX,
        "Clock-aligned measurands put in StopTransaction's transactionData.",
    ),
    int_key(
        "StopTxnAlignedDataMaxLength",
        CSL_MAX,
        1,
        len(MEASURANDS),
        "Most members StopTxnAlignedData may hold.",
        readonly=True,
    ),
    measurands_key(
        "StopTxnSampledData",
        "Energy.Active.Import.Register",
        CSL_MAX,
        "Sampled measurands put in StopTransaction's transactionData.",
    ),
    int_key(
        "StopTxnSampledDataMaxLength",
        CSL_MAX,
        1,
        len(MEASURANDS),
        "Most members StopTxnSampledData may hold.",
        readonly=True,
    ),
    KeyDef(
        "SupportedFeatureProfiles",
        "csl",
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        readonly=True,
        allowed=FEATURE_PROFILES,
        max_items=len(FEATURE_PROFILES),
        description="The OCPP feature profiles the charge point supports.",
    ),
    int_key(
        "SupportedFeatureProfilesMaxLength",
        len(FEATURE_PROFILES),
        1,
        len(FEATURE_PROFILES),
        "Most members SupportedFeatureProfiles may hold.",
        readonly=True,
    ),
    int_key(
        "TransactionMessageAttempts",
        3,
        1,
        100,
        "Times to try a transaction message the CSMS failed to process.",
    ),
    int_key(
        "TransactionMessageRetryInterval",
        60,
        1,
        3600,
        "Seconds before retrying a transaction message, multiplied by the attempts so far.",
    ),
    bool_key(
        "UnlockConnectorOnEVSideDisconnect",
        True,
        "Unlock the cable at the charger when it is unplugged at the EV.",
    ),
    int_key(
        "WebSocketPingInterval",
        60,
        0,
        3600,
        "Seconds between websocket pings; 0 = none.",
    ),
    # --- Local Auth List Management ---
    bool_key(
        "LocalAuthListEnabled",
        True,
        "Use the local authorization list.",
        profile="LocalAuthListManagement",
    ),
    int_key(
        "LocalAuthListMaxLength",
        1000,
        0,
        100_000,
        "Most idTags the local authorization list may hold.",
        readonly=True,
        profile="LocalAuthListManagement",
    ),
    int_key(
        "SendLocalListMaxLength",
        100,
        0,
        100_000,
        "Most idTags one SendLocalList may carry.",
        readonly=True,
        profile="LocalAuthListManagement",
    ),
    # --- Reservation ---
    bool_key(
        "ReserveConnectorZeroSupported",
        False,
        "Whether a reservation on connector 0 (any connector) is supported.",
        readonly=True,
        profile="Reservation",
    ),
    # --- Smart Charging ---
    int_key(
        "ChargeProfileMaxStackLevel",
        10,
        0,
        1000,
        "Highest stackLevel a charging profile may have.",
        readonly=True,
        profile="SmartCharging",
    ),
    KeyDef(
        "ChargingScheduleAllowedChargingRateUnit",
        "csl",
        "Current,Power",
        readonly=True,
        allowed=frozenset({"Current", "Power"}),
        max_items=2,
        profile="SmartCharging",
        description="Units a charging schedule may use.",
    ),
    int_key(
        "ChargingScheduleMaxPeriods",
        48,
        1,
        1000,
        "Most periods one charging schedule may hold.",
        readonly=True,
        profile="SmartCharging",
    ),
    bool_key(
        "ConnectorSwitch3to1PhaseSupported",
        False,
        "Whether a charging schedule may switch between 3 and 1 phase during a transaction.",
        readonly=True,
        profile="SmartCharging",
    ),
    int_key(
        "MaxChargingProfilesInstalled",
        20,
        1,
        1000,
        "Most charging profiles installed at once.",
        readonly=True,
        profile="SmartCharging",
    ),
    # --- Security Whitepaper ---
    KeyDef(
        "AuthorizationKey",
        "str",
        "",
        min=16,
        max=40,
        secret=True,
        profile="Security",
        description=(
            "The HTTP Basic auth password for security profiles 1 and 2: write-only; 16 to 40 "
            "printable ASCII characters, used as given (see docs/chargepoint.md)."
        ),
    ),
    int_key(
        "SecurityProfile",
        1,
        0,
        3,
        "0 none, 1 Basic auth over ws, 2 Basic auth over wss, 3 mutual TLS; never lowered.",
        profile="Security",
    ),
    int_key(
        "CertificateStoreMaxLength",
        10,
        1,
        100,
        "Most root certificates (all types together) the charger holds.",
        readonly=True,
        profile="Security",
    ),
    bool_key(
        "AdditionalRootCertificateCheck",
        False,
        "Whitepaper root-replacement check: not implemented, so false.",
        readonly=True,
        profile="Security",
    ),
    KeyDef(
        "CpoName",
        "str",
        "",
        max=50,
        profile="Security",
        description="Organisation (O) of the charger certificate's CSR (SignCertificate).",
    ),
)

# The UK extension (docs/ocpp-extensions.md): keys a central system may use to act for the owner.
UK_KEYS: tuple[KeyDef, ...] = (
    int_key(
        "RandomisedDelayMaxSeconds",
        600,
        0,
        1800,
        "Maximum randomised delay in whole seconds (R21-R23); 0 means no delay",
        profile="UK",
    ),
)
