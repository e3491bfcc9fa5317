"""Does the broker let anyone in? One anonymous MQTT CONNECT tells: accepted means the broker is open.

Commands are believed only from a broker that vouches for its clients, so the bridge asks this on
every connect. The probe speaks MQTT 3.1.1 by hand (a CONNECT, then the CONNACK's return code) over
asyncio streams: a few bytes, no second paho client and no thread. It presents no client
certificate, so a broker that admits clients by certificate answers "authenticates" too.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path

from .config import MqttConfig

PROBE_TIMEOUT = 5.0
CONNACK = 0x20
ACCEPTED = 0


@dataclass(frozen=True, slots=True)
class BrokerVerdict:
    """`open`: anyone may connect; `authenticates`: anonymous clients are refused; `unknown`: not told."""

    kind: str
    detail: str

    @property
    def open(self) -> bool:
        return self.kind == "open"

    @property
    def authenticates(self) -> bool:
        return self.kind == "authenticates"


NOT_CHECKED = BrokerVerdict("unknown", "not checked yet")


def probe_tls_context(conf: MqttConfig, config_dir: Path) -> ssl.SSLContext | None:
    """The hub's TLS settings without its client certificate (reads the CA file: run in an executor)."""
    if conf.tls is None:
        return None
    ca = conf.tls.ca_certs
    if ca and not Path(ca).is_absolute():
        ca = str(config_dir / ca)
    context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if conf.tls.insecure:
        context.check_hostname = False
    return context


def connect_packet(client_id: str) -> bytes:
    """MQTT 3.1.1 CONNECT: clean session, keepalive 10 s, no will, no user name, no password."""
    ident = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x0a" + len(ident).to_bytes(2, "big") + ident
    assert len(body) < 128  # one byte of remaining length
    return bytes([0x10, len(body)]) + body


async def async_probe(host: str, port: int, tls: ssl.SSLContext | None) -> BrokerVerdict:
    """Connect without credentials and read the broker's answer."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=tls, server_hostname=host if tls else None
            )
    except ssl.SSLError as err:
        # The hub's own connection got through with the same settings and its certificate.
        return BrokerVerdict("authenticates", f"TLS refused a client without a certificate ({err.reason})")
    except (OSError, TimeoutError) as err:
        return BrokerVerdict("unknown", f"the check could not connect: {err or type(err).__name__}")
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            writer.write(connect_packet(f"ecogate-check-{uuid.uuid4().hex[:8]}"))
            await writer.drain()
            answer = await reader.read(4)
        if len(answer) == 4 and answer[0] == CONNACK and answer[3] == ACCEPTED:
            writer.write(b"\xe0\x00")  # DISCONNECT, so no will and no log noise on the broker
            await writer.drain()
            return BrokerVerdict("open", "the broker accepts clients without a user name")
        if not answer or (len(answer) == 4 and answer[0] == CONNACK):
            code = answer[3] if answer else None
            return BrokerVerdict("authenticates", f"the broker refused an anonymous client (code {code})")
        return BrokerVerdict("unknown", f"unexpected answer {answer!r}")
    except ssl.SSLError as err:  # TLS 1.3: a missing client certificate is only told after the handshake
        return BrokerVerdict("authenticates", f"TLS refused a client without a certificate ({err.reason})")
    except (OSError, TimeoutError) as err:
        return BrokerVerdict("unknown", f"the check got no answer: {err or type(err).__name__}")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass
