"""The domain errors a service raises. Each carries a message fit to show a person as is; the
REST API maps the class to an HTTP status (`api/errors.py`), the web app shows the message."""

from __future__ import annotations


class ServiceError(Exception):
    """Nothing was changed; `message` says why, in words for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """No such thing, or one outside the caller's scope (the two are indistinguishable)."""


class NotAllowed(ServiceError):
    """The caller may see it but not do this."""


class Invalid(ServiceError):
    """The request itself is wrong (a value out of range, a missing field)."""


class Conflict(ServiceError):
    """It clashes with what is there (a taken name, an identity already registered)."""


class NotAuthenticated(ServiceError):
    """Wrong credentials."""


class TooManyAttempts(ServiceError):
    """Locked out for a while; `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
