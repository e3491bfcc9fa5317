"""Self-signed application certificates for our OPC UA server (and client), made on first start.

Blocking (RSA key generation, file writes): called through `hub.async_add_executor_job`.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from hub.util.files import write_atomic

_LOGGER = logging.getLogger(__name__)
# Renew this long before the end, so a running plant never meets an expired certificate at start.
RENEW_BEFORE = timedelta(days=30)


def ensure_certificate(
    folder: Path,
    cert_name: str,
    key_name: str,
    *,
    app_uri: str,
    common_name: str,
    hostnames: list[str],
    server: bool,
    days: int,
) -> tuple[Path, Path, bool]:
    """(certificate DER path, key PEM path, created?). Keeps a valid pair; makes a new one otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / cert_name, folder / key_name
    if cert_path.is_file() and key_path.is_file():
        problem = _problem(cert_path, app_uri, hostnames)
        if problem is None:
            return cert_path, key_path, False
        _LOGGER.warning("OPC UA certificate %s %s; making a new one", cert_path, problem)
    key = generate_private_key()
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(app_uri)]
    for host in dict.fromkeys(hostnames):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    usage = (
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        if server
        else [ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    cert = generate_self_signed_app_certificate(
        key, common_name, {"organizationName": "EcoGate"}, names, extended=usage, days=days
    )
    _write(key_path, dump_private_key_as_pem(key), private=True)
    _write(cert_path, cert.public_bytes(Encoding.DER), private=False)
    _LOGGER.info("Made OPC UA certificate %s (valid %d days)", cert_path, days)
    return cert_path, key_path, True


def _problem(cert_path: Path, app_uri: str, hostnames: list[str]) -> str | None:
    try:
        cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as err:
        return f"cannot be read ({err})"
    if cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(UTC):
        return f"expires {cert.not_valid_after_utc:%Y-%m-%d}"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "has no subject alternative names"
    if app_uri not in san.get_values_for_type(x509.UniformResourceIdentifier):
        return f"is not for {app_uri}"
    known = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    known.update(san.get_values_for_type(x509.DNSName))
    missing = [h for h in hostnames if h not in known]
    if missing:
        return f"does not name {', '.join(missing)}"
    return None


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """A crash never leaves half a key; the key is readable by the hub's user only."""
    write_atomic(path, data, mode=0o600 if private else 0o644)
