"""Throw-away certificates for TLS tests, made with the `openssl` command: a private CA and a
server certificate it signs for 127.0.0.1 and localhost."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Pki:
    ca: Path
    """The CA's certificate (PEM): what a client must trust."""
    cert: Path
    """The server's certificate (PEM), signed by the CA."""
    key: Path
    """The server's private key (PEM)."""


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def make_pki(directory: Path, names: str = "IP:127.0.0.1,DNS:localhost") -> Pki:
    """A CA and a server certificate whose subjectAltName is `names`, in `directory`."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl(
        "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Boundary Test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", *curve, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=mail.test",
        cwd=directory,
    )  # fmt: skip
    (directory / "server.ext").write_text(
        f"subjectAltName={names}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        cwd=directory,
    )  # fmt: skip
    return Pki(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key")
