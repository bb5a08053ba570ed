"""What a firmware update is made of: the simulator's image (a JSON header naming the format, the
version and, optionally, the model it is for) and a SignedUpdateFirmware request as the charger
keeps it. What matters to the charger is that the version can be read and the signature checked
(firmware.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

IMAGE_FORMAT = "smartcharge-sim-firmware"


class InvalidImage(Exception):
    pass


def parse_image(data: bytes, model: str) -> str:
    """The version inside a simulator firmware image (a JSON header), or InvalidImage."""
    try:
        header = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidImage("not a smartcharge firmware image") from exc
    if not isinstance(header, dict) or header.get("format") != IMAGE_FORMAT:
        raise InvalidImage("not a smartcharge firmware image")
    version = header.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 50:
        raise InvalidImage("image has no valid version")
    if header.get("model") not in (None, model):
        raise InvalidImage(f"image is for model {header.get('model')!r}, not {model!r}")
    return version


def make_image(version: str, model: str | None = None) -> bytes:
    """A simulator firmware image (used by tests, the demo and the compliance suite)."""
    header: dict[str, Any] = {"format": IMAGE_FORMAT, "version": version}
    if model is not None:
        header["model"] = model
    return orjson.dumps(header)


@dataclass(frozen=True)
class SignedRequest:
    request_id: int
    location: str
    retrieve: datetime
    install: datetime | None
    signature: str
    signing_certificate: str
    retries: int | None
    retry_interval: int | None
