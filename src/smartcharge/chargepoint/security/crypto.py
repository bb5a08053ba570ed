"""The `cryptography` modules the charger uses, each imported on its first use.

Importing `cryptography` maps its Rust extension, with an OpenSSL of its own inside: about 10 MB
of resident memory, a fifth of the charger's budget (issue 12: under 45 MB). A charger that
handles no certificate, key or signature (security profile 0 or 1, no signed firmware, no CA
file) never needs it, so the modules load when one is first handled rather than at start.
Type checkers see the real modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


class LazyModule:
    """Stands for a module and imports it at the first attribute read (then from sys.modules)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name}, imported on first use>"


if TYPE_CHECKING:
    from cryptography import exceptions, x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.ciphers import aead
    from cryptography.x509 import oid
else:
    exceptions = LazyModule("cryptography.exceptions")
    x509 = LazyModule("cryptography.x509")
    oid = LazyModule("cryptography.x509.oid")
    hashes = LazyModule("cryptography.hazmat.primitives.hashes")
    serialization = LazyModule("cryptography.hazmat.primitives.serialization")
    ec = LazyModule("cryptography.hazmat.primitives.asymmetric.ec")
    padding = LazyModule("cryptography.hazmat.primitives.asymmetric.padding")
    rsa = LazyModule("cryptography.hazmat.primitives.asymmetric.rsa")
    aead = LazyModule("cryptography.hazmat.primitives.ciphers.aead")

__all__ = ["aead", "ec", "exceptions", "hashes", "oid", "padding", "rsa", "serialization", "x509"]
