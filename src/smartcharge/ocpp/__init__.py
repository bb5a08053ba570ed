"""One OCPP-J 1.6 RPC layer for both roles: frames, schema validation, calls and routing.

See docs/ocpp-rpc.md. The public names live in `errors`, `schemas`, `frames` and `rpc`; the most
used ones are re-exported here.
"""

from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    EndpointClosed,
    InvalidResponse,
    OcppError,
    error_for_code,
)
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.rpc_state import Transport
from smartcharge.ocpp.schemas import (
    ACTIONS_TO_CENTRAL_SYSTEM,
    ACTIONS_TO_CHARGE_POINT,
    validate_request,
    validate_response,
)

__all__ = [
    "ACTIONS_TO_CENTRAL_SYSTEM",
    "ACTIONS_TO_CHARGE_POINT",
    "CallError",
    "CallTimeout",
    "EndpointClosed",
    "InvalidResponse",
    "OcppError",
    "RpcEndpoint",
    "Transport",
    "error_for_code",
    "validate_request",
    "validate_response",
]
