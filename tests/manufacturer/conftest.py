"""A manufacturer PKI made at test time (no key is committed); see tests/support/pki_fixtures.py."""

from pki_fixtures import ec_pki, pki, rsa_pki

__all__ = ["ec_pki", "pki", "rsa_pki"]
