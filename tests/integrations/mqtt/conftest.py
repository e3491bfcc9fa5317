"""MQTT fixtures: a real Mosquitto broker on free loopback ports, and a paho subscriber for tests.

The session broker listens three ways: anonymous, with a password file, and TLS (a CA and server
certificate made here). A test that restarts its broker gets one of its own (`own_broker`);
`secured_broker` lets no one in without an account and lets each account command only under its own
`ecogate/command/<account>/` branch (the ACL of docs/mqtt-broker.md, read from there).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import ipaddress
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
BROKER_USER, BROKER_PASSWORD = "hub", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """One mosquitto process; `start()` again after `kill()` brings it back on the same ports."""

    def __init__(self, workdir: Path, *, auth: bool = False, tls: dict[str, Path] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = free_port()
        self.auth_port = free_port() if auth else None
        self.tls_port = free_port() if tls else None
        # Started as root, mosquitto would switch to its own user, which cannot read pytest's temp files.
        lines = [f"user {getpass.getuser()}", "per_listener_settings true", "persistence false",
                 f"listener {self.port} 127.0.0.1", "allow_anonymous true"]  # fmt: skip
        if auth:
            passwords = workdir / "passwords"
            subprocess.run(
                [MOSQUITTO_PASSWD, "-b", "-c", str(passwords), BROKER_USER, BROKER_PASSWORD], check=True
            )
            passwords.chmod(0o600)
            lines += [f"listener {self.auth_port} 127.0.0.1", "allow_anonymous false",
                      f"password_file {passwords}"]  # fmt: skip
        if tls:
            lines += [f"listener {self.tls_port} 127.0.0.1", "allow_anonymous true",
                      f"cafile {tls['ca']}", f"certfile {tls['cert']}", f"keyfile {tls['key']}"]  # fmt: skip
        self.config = workdir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.log = workdir / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.02)

    def kill(self) -> None:
        """Gone at once, as in a crash or power cut: no clean goodbye to anyone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def make_certificates(directory: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 / localhost (EC keys: quick to make)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EcoGate test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(san, critical=False).sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths["key"].chmod(0o600)
    return paths


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    workdir = tmp_path_factory.mktemp("mosquitto")
    server = Mosquitto(workdir, auth=True, tls=make_certificates(workdir / "tls"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    server = Mosquitto(tmp_path / "own-mosquitto")
    server.start()
    yield server
    server.kill()


# The hub's account and three clients'; mallory has an account but no place in the ACL or the hub.
ACCOUNTS = {"ecogate": "hub-pass-123", "homeassistant": "ha-pass-123", "scada": "scada-pass-123",
            "mallory": "mallory-pass-123"}  # fmt: skip
BROKER_DOC = Path(__file__).resolve().parents[3] / "docs" / "mqtt-broker.md"


def documented_acl() -> str:
    """The ACL file docs/mqtt-broker.md tells a plant to write: the secured broker runs with it."""
    text = BROKER_DOC.read_text(encoding="utf-8")
    return text.split("```acl\n", 1)[1].split("```", 1)[0]


class SecuredMosquitto(Mosquitto):
    """One listener, no anonymous clients, a password file of ACCOUNTS and the documented ACL."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = free_port()
        self.auth_port = self.tls_port = None
        passwords, acl = workdir / "passwords", workdir / "acl"
        for i, (user, password) in enumerate(ACCOUNTS.items()):
            create = ["-c"] if i == 0 else []
            subprocess.run([MOSQUITTO_PASSWD, "-b", *create, str(passwords), user, password], check=True)
        passwords.chmod(0o600)
        acl.write_text(documented_acl(), encoding="utf-8")
        lines = [f"user {getpass.getuser()}", "persistence false", f"listener {self.port} 127.0.0.1",
                 "allow_anonymous false", f"password_file {passwords}", f"acl_file {acl}"]  # fmt: skip
        self.config = workdir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.log = workdir / "mosquitto.log"
        self.process = None


@pytest.fixture(scope="session")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    server = SecuredMosquitto(tmp_path_factory.mktemp("mosquitto-secured"))
    server.start()
    yield server
    server.kill()


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    retain: bool

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8")


class Subscriber:
    """A paho client in its own thread, as a SCADA or Home Assistant would be; messages are handed to
    the test's loop so tests wait on them with timeouts."""

    def __init__(self, port: int, topics: list[str], username: str | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self.messages: list[Message] = []
        self._waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []
        self._subscribed = threading.Event()
        self._topics = topics
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        self.client.reconnect_delay_set(1, 1)
        if username is not None:
            self.client.username_pw_set(username, ACCOUNTS[username])
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = lambda c, u, m: self._loop.call_soon_threadsafe(
            self._add, Message(m.topic, m.payload, bool(m.retain))
        )
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if not reason.is_failure:
            client.subscribe([(t, 1) for t in self._topics])

    async def async_ready(self, timeout: float = 10.0) -> Subscriber:
        if not await asyncio.to_thread(self._subscribed.wait, timeout):
            raise TimeoutError("test subscriber did not subscribe")
        return self

    def _add(self, message: Message) -> None:
        self.messages.append(message)
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(message):
                future.set_result(message)

    async def wait_for(
        self, topic: str, predicate: Callable[[Message], bool] | None = None, *, timeout: float = 10.0,
        since: int = 0,
    ) -> Message:  # fmt: skip
        """The first message on `topic` (from index `since` on) that satisfies `predicate`."""

        def wanted(m: Message) -> bool:
            return m.topic == topic and (predicate is None or predicate(m))

        for message in self.messages[since:]:
            if wanted(message):
                return message
        future: asyncio.Future[Message] = self._loop.create_future()
        entry = (wanted, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            seen = sorted({m.topic for m in self.messages})
            raise TimeoutError(
                f"no matching message on {topic} within {timeout} s; topics seen: {seen}"
            ) from None
        finally:
            self._waiters.remove(entry)

    def last(self, topic: str) -> Message | None:
        return next((m for m in reversed(self.messages) if m.topic == topic), None)

    async def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        await asyncio.to_thread(info.wait_for_publish, 5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
async def subscribe() -> object:
    """`await subscribe(port, ["topic/#", ...], user)` -> a ready Subscriber; all closed after the test."""
    made: list[Subscriber] = []

    async def factory(port: int, topics: list[str], username: str | None = None) -> Subscriber:
        subscriber = Subscriber(port, topics, username)
        made.append(subscriber)
        return await subscriber.async_ready()

    yield factory
    for subscriber in made:
        await asyncio.to_thread(subscriber.close)
