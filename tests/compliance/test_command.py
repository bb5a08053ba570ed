"""`smartcharge compliance run`: bad arguments are clear errors (exit 2) and start nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcharge.cli import app
from smartcharge.compliance.command import parse_listen

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of"),
        (["--target", "simulated", "--listen", "127.0.0.1:9000"], "exactly one of"),
        (["--target", "real"], "must be 'simulated'"),
        (["--listen", "127.0.0.1"], "HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "HOST:PORT"),
        (["--target", "simulated", "--tls-cert", "c.pem", "--tls-key", "k.pem"], "only go with"),
        (["--listen", "127.0.0.1:9000", "--tls-cert", "c.pem"], "go together"),
        (["--target", "simulated", "--local-https", "127.0.0.1:8443"], "only go with"),
        (["--listen", "127.0.0.1:9000", "--local-https", "charger"], "--local-https must be"),
        (
            ["--listen", "127.0.0.1:9000", "--tls-cert", "no.pem", "--tls-key", "no.key"],
            "cannot load",
        ),
    ],
)
def test_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["compliance", "run", "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


def test_bad_dsr_agreement(tmp_path: Path) -> None:
    bad = tmp_path / "dsr.toml"
    bad.write_text('provider = "x"\n')
    res = runner.invoke(
        app,
        [
            "compliance",
            "run",
            "--target",
            "simulated",
            "--out",
            str(tmp_path / "o"),
            "--dsr-agreement",
            str(bad),
        ],
    )
    assert res.exit_code == 2
    assert "agreement_reference" in res.output
    assert not (tmp_path / "o").exists()


def test_parse_listen() -> None:
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError):
        parse_listen(":9000")
