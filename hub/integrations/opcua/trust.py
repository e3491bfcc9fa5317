"""Which client application certificates our OPC UA server accepts: a trust list under the data directory.

Laid out as OPC UA servers do (`<data_dir>/opcua/pki/`): `trusted/certs` (certificates, or CA certificates
whose signed certificates are trusted), `trusted/crl` (their revocation lists), `issuers/certs` and
`issuers/crl` (intermediate CAs, not trusted by themselves: they complete a chain that ends at a
trusted CA), and `rejected/certs`, where a refused unknown certificate is copied so an engineer can
trust it: `ecogate opcua trust THUMBPRINT`.
Files are named `<subject CN> [<thumbprint>].der`; the thumbprint is the SHA-1 of the DER bytes, as
OPC UA tools show it. asyncua's TrustStore and CertificateValidator do the checks (time range,
application URI against the client's description, trusted directly or by a CA, not revoked).

The file operations are blocking: the server runs them through the executor; the CLI calls them directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.util.files import write_atomic

_LOGGER = logging.getLogger(__name__)
# asyncua's TrustStore logs a traceback for every untrusted certificate; we log the refusal ourselves.
logging.getLogger("asyncuagds.validate").setLevel(logging.CRITICAL)

FOLDERS = ("trusted/certs", "trusted/crl", "issuers/certs", "issuers/crl", "rejected/certs")
CHECKS = (
    CertificateValidatorOptions.TIME_RANGE
    | CertificateValidatorOptions.URI
    | CertificateValidatorOptions.PEER_CLIENT
)
REASONS = {
    ua.StatusCodes.BadCertificateTimeInvalid: "expired or not yet valid",
    ua.StatusCodes.BadCertificateUriInvalid: "application URI does not match the client's description",
    ua.StatusCodes.BadCertificateUntrusted: "not in the trust list",
    ua.StatusCodes.BadCertificateRevoked: "revoked",
    ua.StatusCodes.BadCertificateInvalid: "has no subject alternative names",
}


@dataclass(frozen=True, slots=True)
class CertInfo:
    thumbprint: str
    subject: str
    application_uri: str | None
    not_after: str

    @staticmethod
    def of(cert: x509.Certificate) -> CertInfo:
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        except x509.ExtensionNotFound:
            uris = []
        return CertInfo(
            thumbprint(cert), cert.subject.rfc4514_string(), uris[0] if uris else None,
            f"{cert.not_valid_after_utc:%Y-%m-%d}",
        )  # fmt: skip


def thumbprint(cert: x509.Certificate) -> str:
    return hashlib.sha1(cert.public_bytes(Encoding.DER), usedforsecurity=False).hexdigest().upper()


def load_certificate(data: bytes) -> x509.Certificate:
    """DER or PEM; ValueError when it is neither."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


class TrustList:
    def __init__(self, root: Path, *, auto_trust: bool = False) -> None:
        self.root = root
        self.auto_trust = auto_trust
        self._store: TrustStore | None = None
        self._issuers: list[x509.Certificate] = []
        self._loaded_stamp: tuple[int, ...] = ()
        # asyncua's validator without a trust store: the time range and the application URI.
        self._validator = CertificateValidator(CHECKS)

    def prepare(self) -> None:
        for folder in FOLDERS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    # ----- the server's check ---------------------------------------------------------------------
    async def async_validate(self, cert: x509.Certificate, client: ua.ApplicationDescription) -> None:
        """asyncua's certificate validator hook (CreateSession): raises ServiceError to refuse."""
        try:
            await self._check(cert, client)
        except ServiceError as err:
            info = CertInfo.of(cert)
            reason = REASONS.get(err.code, ua.StatusCode(err.code).name)
            if err.code == ua.StatusCodes.BadCertificateUntrusted:
                await asyncio.get_running_loop().run_in_executor(None, self._save, cert, "rejected/certs")
            _LOGGER.warning(
                "OPC UA client certificate refused (%s): thumbprint %s, subject %s, application URI %s "
                "(client says %s)%s", reason, info.thumbprint, info.subject, info.application_uri,
                client.ApplicationUri,
                "; trust it with `ecogate opcua trust " + info.thumbprint + "`"
                if err.code == ua.StatusCodes.BadCertificateUntrusted else "",
            )  # fmt: skip
            raise

    async def _check(self, cert: x509.Certificate, client: ua.ApplicationDescription) -> None:
        await self._validator.validate(cert, client)  # time range, application URI
        # The list changes under a running hub (the CLI is another process): read it again when its
        # folders changed, so a trust or a reject counts from the next connection on.
        stamp = await asyncio.get_running_loop().run_in_executor(None, self._stamp)
        if stamp != self._loaded_stamp:
            self._store, self._loaded_stamp = await self._load(), stamp
            self._issuers = await asyncio.get_running_loop().run_in_executor(None, self._read_issuers)
        if self._trusted(cert):
            return
        if not self.auto_trust:
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)
        info = CertInfo.of(cert)
        _LOGGER.warning("OPC UA: auto_trust_clients: trusting %s (%s)", info.subject, info.thumbprint)
        await asyncio.get_running_loop().run_in_executor(None, self._save, cert, "trusted/certs")

    def _stamp(self) -> tuple[int, ...]:
        return tuple(
            (self.root / folder).stat().st_mtime_ns if (self.root / folder).is_dir() else 0
            for folder in ("trusted/certs", "trusted/crl", "issuers/certs", "issuers/crl")
        )

    def _trusted(self, cert: x509.Certificate) -> bool:
        store = self._store
        if store is None or not (store.is_trusted(cert) or self._chains_to_trusted(store, cert)):
            return False
        if store.is_revoked(cert):
            raise ServiceError(ua.StatusCodes.BadCertificateRevoked)
        return True

    def _chains_to_trusted(self, store: TrustStore, cert: x509.Certificate) -> bool:
        """Signed by an intermediate CA under issuers/ whose chain ends at a trusted CA."""
        anchors = store._trust_store  # asyncua's TrustStore checks a chain without intermediates only
        if not self._issuers or anchors is None:
            return False
        verifier = store.policy_builder.store(anchors).build_client_verifier()
        try:
            verifier.verify(cert, self._issuers)
        except x509.verification.VerificationError:
            return False
        return True

    def _read_issuers(self) -> list[x509.Certificate]:
        found = []
        for path in (self.root / "issuers/certs").glob("*"):
            try:
                found.append(load_certificate(path.read_bytes()))
            except (OSError, ValueError):
                _LOGGER.warning("OPC UA trust list: %s is not a certificate", path)
        return found

    async def _load(self) -> TrustStore | None:
        """The trusted certificates and revocation lists as on disk; None while nothing is trusted."""
        root = self.root
        store = TrustStore([root / "trusted/certs"], [root / "trusted/crl", root / "issuers/crl"])
        try:
            await store.load()
        except ValueError:  # cryptography refuses a store without certificates
            return None
        return store

    # ----- the engineer's commands ----------------------------------------------------------------
    def entries(self) -> list[tuple[str, CertInfo, Path]]:
        """(trusted | rejected | issuers, info, file) of every certificate on the list."""
        found = []
        for state in ("trusted", "issuers", "rejected"):
            folder = f"{state}/certs"
            for path in sorted((self.root / folder).glob("*")):
                try:
                    found.append((state, CertInfo.of(load_certificate(path.read_bytes())), path))
                except (OSError, ValueError):
                    _LOGGER.warning("OPC UA trust list: %s is not a certificate", path)
        return found

    def trust(self, what: str) -> CertInfo:
        """Trust a rejected certificate by thumbprint, or a certificate file."""
        cert = self._find(what)
        for path in self._files(thumbprint(cert), "rejected/certs"):
            path.unlink()
        self._save(cert, "trusted/certs")
        return CertInfo.of(cert)

    def reject(self, what: str) -> CertInfo:
        """Take a certificate off the trusted list (kept under rejected/, so it can be trusted again)."""
        cert = self._find(what)
        for path in self._files(thumbprint(cert), "trusted/certs"):
            path.unlink()
        self._save(cert, "rejected/certs")
        return CertInfo.of(cert)

    def _find(self, what: str) -> x509.Certificate:
        wanted = re.sub(r"[\s:]", "", what).upper()
        if re.fullmatch(r"[0-9A-F]{40}", wanted):
            for folder in ("rejected/certs", "trusted/certs"):
                for path in self._files(wanted, folder):
                    return load_certificate(path.read_bytes())
            raise LookupError(f"no certificate with thumbprint {wanted} under {self.root}")
        path = Path(what)
        try:
            return load_certificate(path.read_bytes())
        except OSError as err:
            raise LookupError(f"cannot read {path}: {err.strerror}") from err
        except ValueError as err:
            raise LookupError(f"{path} is not a certificate (DER or PEM)") from err

    def _files(self, print_: str, folder: str) -> list[Path]:
        found = []
        for path in (self.root / folder).glob("*"):
            try:
                if thumbprint(load_certificate(path.read_bytes())) == print_:
                    found.append(path)
            except (OSError, ValueError):
                continue
        return found

    def _save(self, cert: x509.Certificate, folder: str) -> None:
        info = CertInfo.of(cert)
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        name = re.sub(r"[^\w.-]+", "_", str(cn[0].value) if cn else "certificate")[:60]
        target = self.root / folder / f"{name} [{info.thumbprint}].der"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            write_atomic(target, cert.public_bytes(Encoding.DER), mode=0o644)
