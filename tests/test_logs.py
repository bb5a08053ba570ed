"""Logs are structured and never carry a secret, whatever a caller writes into a message."""

import logging
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smartcharge.logs
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


def test_a_record_for_two_handlers_is_made_into_a_line_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real = smartcharge.logs.redact

    def counted(text: str) -> str:
        made.append(text)
        return real(text)

    monkeypatch.setattr(smartcharge.logs, "redact", counted)
    root = logging.getLogger()
    kept, level = list(root.handlers), root.level
    smartcharge.logs.setup(tmp_path, console=True)  # the serving process's two handlers
    try:
        logging.getLogger("smartcharge.test").info("boot identity=%s password=%s", "CP-1", "s3")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in kept:
            root.addHandler(handler)
        root.setLevel(level)
    assert made == ["boot identity=CP-1 password=s3"]  # one line made, for both
    in_file = (tmp_path / "smartcharge.log").read_text().splitlines()
    on_stderr = [line for line in capsys.readouterr().err.splitlines() if "CP-1" in line]
    assert in_file == on_stderr and len(in_file) == 1
    assert orjson.loads(in_file[0])["message"] == "boot identity=CP-1 password=***"
    # Another formatter does not take the line made by this one.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a=%s", ("1",), None)
    first, other = JsonFormatter(), logging.Formatter("%(levelname)s %(message)s")
    assert orjson.loads(first.format(record))["message"] == "a=1"
    assert other.format(record) == "INFO a=1"
    assert JsonFormatter().format(record) == first.format(record)


def _every_pattern(text: str) -> str:
    for pattern, replacement in smartcharge.logs._SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_PIECES = st.sampled_from(
    [
        "Authorization: ",
        "Basic ",
        "bearer ",
        "PassWord=",
        "passwd:",
        "SECRET=",
        "Token=",
        "api_key=",
        "AuthorizationKey",
        '"key": "AuthorizationKey", "value": "',
        "wss://",
        "cp:",
        "@",
        "hunter2",
        " ",
        '"',
        "=",
        ":",
        ",",
        "x",
        "é",
    ]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join))
def test_the_shortcut_never_skips_a_secret(text: str) -> None:
    # Lines without any of the patterns' words skip them: the result is always the same as
    # running every pattern.
    assert redact(text) == _every_pattern(text)
