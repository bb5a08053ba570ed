"""Logs are structured and never carry a secret, whatever a caller writes into a message."""

import logging

import orjson

from smartcharge.logs import JsonFormatter, redact


def test_redacts_secrets() -> None:
    assert "hunter2" not in redact("Authorization: Basic hunter2")
    assert "hunter2" not in redact("password=hunter2 user=x")
    assert "hunter2" not in redact('{"AuthorizationKey": "hunter2"}')
    assert "hunter2" not in redact("wss://cp1:hunter2@csms.example/ocpp")
    assert redact("connector 1 charging at 16 A") == "connector 1 charging at 16 A"


def test_json_lines() -> None:
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abc",), None)
    entry = orjson.loads(JsonFormatter().format(rec))
    assert entry["level"] == "info" and entry["message"] == "token=***"
