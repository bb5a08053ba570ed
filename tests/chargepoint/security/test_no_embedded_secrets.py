"""No private key, password or other secret is embedded in the source tree (R28, R32)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("src", "tests", "docs", "bench")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".json", ".pem", ".key", ".txt", ".cfg", ".ini", ".yaml"}

# A PEM private key with a real body (a bare "BEGIN PRIVATE KEY" string in a test is no key).
PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{64,}-----END [A-Z ]*PRIVATE KEY-----"
)
# A literal assigned to something called password / secret / key / token in the code; a line that
# is really no secret (a scheme name, a credential's name) says so with "# not-a-secret".
ASSIGNED_SECRET = re.compile(
    r"""\b\w*(?:password|passwd|secret|api_?key|auth(?:orization)?_?key|token)\w*\s*[:=]\s*"""
    r"""(?:str\s*=\s*)?[bBrRfF]?["']([^"'\s]{8,})["']""",
    re.IGNORECASE,
)


def scan(roots: list[Path]) -> list[str]:
    found = []
    for root in roots:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
                continue
            if "__pycache__" in path.parts or ".venv" in path.parts:
                continue
            text = path.read_text(errors="replace")
            if PRIVATE_KEY.search(text):
                found.append(f"{path}: a private key")
            if path.suffix == ".py" and "tests" not in path.parts:
                for line in text.splitlines():
                    if "# not-a-secret" not in line and ASSIGNED_SECRET.search(line):
                        found.append(f"{path}: a literal secret ({line.strip()[:40]}...)")
    return found


# A password written into a configuration example (a ```toml block of the docs or the README):
# readers copy examples, so an example password becomes a shared default (R28). The examples use
# `credentials_dir` (provisioning) instead.
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)
CONFIG_PASSWORD = re.compile(
    r"""^\s*(?:password|passphrase|secret|authorization_?key)\s*=""", re.I | re.M
)


def scan_config_examples(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        for block in TOML_BLOCK.findall(path.read_text(errors="replace")):
            for match in CONFIG_PASSWORD.finditer(block):
                line = block[match.start() :].splitlines()[0].strip()
                found.append(f"{path}: a password in a configuration example ({line[:30]}...)")
    return found


def test_configuration_examples_hold_no_password() -> None:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    assert len(files) > 5
    assert scan_config_examples(files) == []


def test_the_example_scan_finds_a_planted_password(tmp_path: Path) -> None:
    doc = tmp_path / "setup.md"
    doc.write_text('Set it up:\n\n```toml\n[security]\npassword = "hunter2hunter2hunter2"\n```\n')
    assert len(scan_config_examples([doc])) == 1


def test_the_source_tree_embeds_no_secret() -> None:
    roots = [ROOT / name for name in SCANNED if (ROOT / name).is_dir()]
    assert ROOT / "src" in roots
    assert scan(roots) == []
    assert scan([ROOT / "README.md"]) == []


def test_the_scan_finds_a_planted_key_and_password(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    (tmp_path / "leak.md").write_text("here:\n" + pem.decode())
    (tmp_path / "cfg.py").write_text('DEFAULT_PASSWORD = "factory-default-123"\n')
    found = scan([tmp_path])
    assert len(found) == 2
    assert any("private key" in f for f in found) and any("literal secret" in f for f in found)
