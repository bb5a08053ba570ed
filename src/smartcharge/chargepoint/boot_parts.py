"""The parts each boot builds anew from the config and the store (app.py wires them): the OCPP
configuration keys, the owner's controls and the station that follows them."""

from __future__ import annotations

import random

from smartcharge.chargepoint.authorization import Authorizer
from smartcharge.chargepoint.config import ChargePointConfig
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.hardware.ports import Hardware
from smartcharge.chargepoint.key_catalogue import STANDARD_KEYS, UK_KEYS
from smartcharge.chargepoint.owner_controls import DsrAgreement, OwnerControls
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock

# What this build implements.
FEATURE_PROFILES = (
    "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
)


def configuration(cfg: ChargePointConfig, store: Store) -> Configuration:
    return Configuration(
        store,
        (*STANDARD_KEYS, *UK_KEYS),
        overrides={
            "NumberOfConnectors": str(cfg.connectors),
            "SupportedFeatureProfiles": FEATURE_PROFILES,
        },
        defaults={
            "RandomisedDelayMaxSeconds": str(cfg.charging.random_delay_max_s),
            "SecurityProfile": str(cfg.security.profile),  # raised by the CSMS, never lowered
        },
    )


def owner_controls(cfg: ChargePointConfig, store: Store) -> OwnerControls:
    """The owner's controls (default hours, schedule, DSR, charge now). The station listens to
    them (`OwnerControls.on_change`); the UK extension and the owner API change them directly."""
    agreement = cfg.charging.dsr_agreement
    return OwnerControls(
        store,
        workplace=cfg.charging.workplace,
        dsr_agreement=(
            DsrAgreement(agreement.provider, agreement.reference, agreement.description)
            if agreement
            else None
        ),
    )


def station(
    cfg: ChargePointConfig,
    store: Store,
    settings: Configuration,
    hardware: Hardware,
    clock: Clock,
    rng: random.Random,
    controls: OwnerControls,
) -> Station:
    return Station(
        controls=controls,
        rng=rng,
        site_limit_a=cfg.charging.site_limit_a,
        resume_after_power_loss=cfg.charging.resume_after_power_loss,
        hardware=hardware,
        store=store,
        settings=settings,
        authorizer=Authorizer(store, settings, clock),
        clock=clock,
        max_current_a=cfg.max_current_a,
        phases=cfg.phases,
    )
