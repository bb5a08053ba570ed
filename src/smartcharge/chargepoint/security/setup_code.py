"""The owner's setup code: proof that whoever claims the charger's owner API has the charger
in hand (issue 15, finding 7).

Made at provisioning from the OS CSPRNG (never derived from the identity, serial number or
anything public), printed for the charger's label or shown by the installer tool, and kept on
the charger only as an argon2id hash (`SETUP_CODE_FILE` in the credentials folder). First use
of the owner API needs it; once the owner has set a password the first-use window is closed
(until a factory reset, when the label opens it again), and a sign-in that carries it is
checked even while the sign-in is locked out, so a stranger on the home network who keeps
guessing cannot keep the owner out.

12 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L): 59 bits, written
as three groups of four; case, spaces and dashes do not matter when typed.
"""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from smartcharge.chargepoint.security.files import write_private

if TYPE_CHECKING:
    from argon2 import PasswordHasher

SETUP_CODE_FILE = "owner-setup-code.argon2"
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12


@functools.cache
def _hasher() -> PasswordHasher:
    # Imported on first use: a charger without the owner API never loads argon2 (memory).
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_setup_code() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(typed: str) -> str:
    return "".join(c for c in typed.upper() if c not in " -")


def hash_setup_code(code: str) -> str:
    return _hasher().hash(normalise(code))


def save_setup_code(directory: Path, code: str) -> None:
    write_private(directory / SETUP_CODE_FILE, hash_setup_code(code).encode())


def load_setup_code_hash(directory: Path | None) -> str | None:
    """The stored hash, or None when this charger was given no setup code."""
    if directory is None:
        return None
    try:
        return (directory / SETUP_CODE_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def setup_code_matches(stored_hash: str, typed: str) -> bool:
    """Slow on purpose (argon2id): run it in a worker thread."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if not typed or len(typed) > 64:
        return False
    try:
        return bool(_hasher().verify(stored_hash, normalise(typed)))
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False
