"""What a connection may ask: no session on an unsecured channel, only trusted client certificates, the
audit of every sign-in, and the status codes that let a client rebuild after a hub restart."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from asyncua.crypto.cert_gen import dump_private_key_as_pem, generate_private_key
from asyncua.ua.ua_binary import struct_from_binary
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.integrations.opcua.conftest import (
    CLIENT_URI,
    NAMESPACE,
    PASSWORD,
    node,
    passage,
    receives_passages,
    restart_yaml,
)

NOW = datetime.now(UTC)


async def login_audit(hub: Any, **filters: Any) -> list[dict[str, Any]]:
    await hub.async_block_till_done()
    result = await hub.services.async_call(
        "ledger", "audit_query", {"door": "opcua", "action": "login", "sort": "seq", **filters}
    )
    return result["items"]


def make_cert(
    folder: Path,
    uri: str,
    *,
    start: datetime | None = None,
    days: int = 30,
    issuer: tuple[x509.Certificate, Any] | None = None,
    ca: bool = False,
) -> tuple[Path, Path]:
    """A client application certificate (or a CA's, `ca=True`) with a chosen validity and issuer
    (asyncua's generator only makes self-signed ones valid from now)."""
    key = generate_private_key()
    start = start or datetime.now(UTC) - timedelta(hours=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test {'CA' if ca else 'client'} {uri}")])
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=not ca, key_encipherment=not ca, data_encipherment=not ca,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )  # fmt: skip
    builder = (
        x509.CertificateBuilder().subject_name(name).public_key(key.public_key())
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                       critical=False)
    )  # fmt: skip
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    folder.mkdir(parents=True, exist_ok=True)
    stem = hashlib.sha1(cert.public_bytes(Encoding.DER), usedforsecurity=False).hexdigest()[:8]
    cert_path, key_path = folder / f"{stem}.der", folder / f"{stem}.pem"
    cert_path.write_bytes(cert.public_bytes(Encoding.DER))
    key_path.write_bytes(dump_private_key_as_pem(key))
    return cert_path, key_path


def loaded(pair: tuple[Path, Path]) -> tuple[x509.Certificate, Any]:
    cert, key = pair
    return x509.load_der_x509_certificate(cert.read_bytes()), serialization.load_pem_private_key(
        key.read_bytes(), None
    )


async def sign_in(hub: Any, cert: Path, key: Path, uri: str, user: str = "guard1") -> Client:
    client = Client(hub.data["opcua"].endpoint, timeout=5)
    client.application_uri = uri
    await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
    client.set_user(user)
    client.set_password(PASSWORD)
    await client.connect()
    return client


async def ecogate(*args: str) -> tuple[int, str]:
    """The command line, as an engineer runs it beside the running hub: (exit code, output)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


def thumbprint(cert: Path) -> str:
    return hashlib.sha1(cert.read_bytes(), usedforsecurity=False).hexdigest().upper()


# ----- SecurityPolicy None -----------------------------------------------------------------------
async def test_a_forced_none_channel_gets_endpoints_but_no_session(opcua_hub, monkeypatch) -> None:
    hub = await opcua_hub()
    # A careless or hostile client: it takes the first endpoint whatever its security.
    monkeypatch.setattr(Client, "find_endpoint", staticmethod(lambda endpoints, mode, uri: endpoints[0]))
    client = Client(hub.data["opcua"].endpoint, timeout=5)
    client.set_user("guard1")
    client.set_password(PASSWORD)
    with pytest.raises(ua.uaerrors.BadSecurityPolicyRejected):
        await client.connect()
    client.disconnect_socket()

    # On a bare None channel: discovery is answered, a Read (with no session) is refused the same way.
    await client.connect_socket()
    try:
        await client.send_hello()
        await client.open_secure_channel()
        assert {e.SecurityMode for e in await client.get_endpoints()} == {
            ua.MessageSecurityMode.Sign, ua.MessageSecurityMode.SignAndEncrypt,
        }  # fmt: skip
        read = ua.ReadParameters()
        read.NodesToRead = [ua.ReadValueId(NodeId=ua.NodeId("EcoGate", 2), AttributeId=ua.AttributeIds.Value)]
        with pytest.raises(ua.uaerrors.BadSecurityPolicyRejected):
            await client.uaclient.read(read)
    finally:
        client.disconnect_socket()

    rows = await login_audit(hub, outcome="refused")
    assert len(rows) == 2  # once per connection, not once per request
    detail = rows[0]["detail"]
    assert detail["method"] == "security_policy_none" and detail["security_mode"] == "None"
    assert detail["request"] == "CreateSession" and detail["remote"].startswith("127.0.0.1:")


async def test_allowed_none_endpoint_never_takes_a_password(opcua_hub, connect) -> None:
    hub = await opcua_hub("  allow_anonymous: true\n  allow_none_policy: true\n")
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # the password crossed in clear text
        async with connect(hub, "guard1", mode="None"):
            pass
    async with connect(hub, None, mode="None") as client:  # anonymous, read-only: as configured
        assert await (await node(client, "east_gate.in.barrier.position")).read_value() == "closed"
    rows = await login_audit(hub)
    assert [(r["detail"]["method"], r["outcome"]) for r in rows] == [
        ("password", "refused"),
        ("anonymous", "ok"),
    ]


# ----- client certificates -----------------------------------------------------------------------
async def test_an_unknown_certificate_is_refused_until_trusted_by_the_cli(opcua_hub, tmp_path, caplog):
    hub = await opcua_hub()
    uri = "urn:plant:scada:unknown"
    cert, key = make_cert(tmp_path / "unknown", uri)
    with pytest.raises(ua.uaerrors.BadCertificateUntrusted):
        await sign_in(hub, cert, key, uri)
    pki = hub.data_dir / "opcua" / "pki"
    rejected = list((pki / "rejected" / "certs").iterdir())
    assert [p.read_bytes() for p in rejected] == [cert.read_bytes()]
    refusal = next(r.getMessage() for r in caplog.records if "certificate refused" in r.getMessage())
    assert thumbprint(cert) in refusal and "CN=test client" in refusal and uri in refusal

    config = str(hub.config_dir)
    assert await ecogate("opcua", "trust", thumbprint(cert).lower(), "-c", config) == (
        0,
        f"trusted: {thumbprint(cert)} CN=test client {uri} ({uri})\n",
    )
    client = await sign_in(hub, cert, key, uri)  # the running hub reads the list again: no restart
    await client.disconnect()
    assert not list((pki / "rejected" / "certs").iterdir())
    code, listing = await ecogate("opcua", "list", "-c", config)
    assert code == 0 and f"trusted\t{thumbprint(cert)}\tCN=test client {uri}\t{uri}\t" in listing

    assert (await ecogate("opcua", "reject", str(cert), "-c", config))[0] == 0
    with pytest.raises(ua.uaerrors.BadCertificateUntrusted):
        await sign_in(hub, cert, key, uri)
    code, output = await ecogate("opcua", "trust", "0" * 40, "-c", config)
    assert code == 1 and "no certificate with thumbprint" in output


@pytest.mark.parametrize(
    ("start", "days", "uri_in_cert", "code"),
    [
        (NOW - timedelta(days=40), 30, "urn:plant:scada", ua.uaerrors.BadCertificateTimeInvalid),
        (NOW + timedelta(days=2), 30, "urn:plant:scada", ua.uaerrors.BadCertificateTimeInvalid),
        (None, 30, "urn:plant:other", ua.uaerrors.BadCertificateUriInvalid),
    ],
    ids=["expired", "not_yet_valid", "uri_mismatch"],
)
async def test_a_trusted_certificate_still_has_to_be_valid(
    opcua_hub, tmp_path, start, days, uri_in_cert, code
) -> None:
    hub = await opcua_hub()
    cert, key = make_cert(tmp_path / "certs", uri_in_cert, start=start, days=days)
    hub.data["opcua"].server.trust.trust(str(cert))
    with pytest.raises(code):
        await sign_in(hub, cert, key, "urn:plant:scada")


async def test_a_certificate_signed_through_an_issuer_by_a_trusted_ca_is_trusted(opcua_hub, tmp_path) -> None:
    hub = await opcua_hub()
    pki = hub.data_dir / "opcua" / "pki"
    root = make_cert(tmp_path / "root", "urn:plant:root-ca", ca=True)
    intermediate = make_cert(tmp_path / "int", "urn:plant:int-ca", ca=True, issuer=loaded(root))
    stranger_ca = make_cert(tmp_path / "other", "urn:other:ca", ca=True)
    hub.data["opcua"].server.trust.trust(str(root[0]))  # the plant's CA
    for ca in (intermediate, stranger_ca):  # CA certificates that complete chains, trusted by nobody
        (pki / "issuers" / "certs" / ca[0].name).write_bytes(ca[0].read_bytes())

    cert, key = make_cert(tmp_path / "leaf", "urn:plant:scada", issuer=loaded(intermediate))
    client = await sign_in(hub, cert, key, "urn:plant:scada")
    await client.disconnect()
    cert, key = make_cert(tmp_path / "leaf2", "urn:plant:scada", issuer=loaded(stranger_ca))
    with pytest.raises(ua.uaerrors.BadCertificateUntrusted):  # an issuer alone is no trust
        await sign_in(hub, cert, key, "urn:plant:scada")


async def test_auto_trust_is_an_option_never_the_default(opcua_hub, tmp_path) -> None:
    hub = await opcua_hub("  auto_trust_clients: true\n")
    cert, key = make_cert(tmp_path / "new", "urn:plant:demo")
    client = await sign_in(hub, cert, key, "urn:plant:demo")
    await client.disconnect()
    trusted = hub.data_dir / "opcua" / "pki" / "trusted" / "certs"
    assert cert.read_bytes() in [p.read_bytes() for p in trusted.iterdir()]


# ----- the audit of sign-ins ---------------------------------------------------------------------
async def test_login_audit_rows_say_where_from_with_what(opcua_hub, connect, client_cert) -> None:
    hub = await opcua_hub()
    async with connect(hub, "guard1", mode="Sign"):
        pass
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        async with connect(hub, "guard1", password="wrong-password"):
            pass
    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):  # anonymous is off: asyncua says so itself
        async with connect(hub, None):
            pass
    rows = await login_audit(hub)
    assert [(r["outcome"], r["detail"]["method"]) for r in rows] == [
        ("ok", "password"),
        ("failed", "password"),
        ("refused", "anonymous"),
    ]
    for row, mode in zip(rows, ("Sign", "SignAndEncrypt", "SignAndEncrypt"), strict=True):
        detail = row["detail"]
        assert detail["remote"].startswith("127.0.0.1:")
        assert detail["application_uri"] == CLIENT_URI
        assert detail["thumbprint"] == thumbprint(client_cert[0])
        assert (detail["security_mode"], detail["security_policy"]) == (mode, "Basic256Sha256")


# ----- what each user may do ---------------------------------------------------------------------
async def test_methods_say_per_user_whether_they_may_be_called(opcua_hub, connect) -> None:
    hub = await opcua_hub("policy: {}\n")

    async def executable(client: Client, method: str) -> tuple[bool, bool]:
        method_node = await node(client, f"EcoGate.{method}")
        static = await method_node.read_attribute(ua.AttributeIds.Executable)
        per_user = await method_node.read_attribute(ua.AttributeIds.UserExecutable)
        return static.Value.Value, per_user.Value.Value

    async with connect(hub, "inspector1") as client:  # read only: was True, like Executable
        assert await executable(client, "OpenBarrier") == (True, False)
        assert await executable(client, "SetAlertLevel") == (True, False)
        # Other attributes in the same request are answered as before.
        read = ua.ReadParameters()
        read.NodesToRead = [
            ua.ReadValueId(NodeId=(await node(client, "EcoGate.OpenBarrier")).nodeid, AttributeId=attr)
            for attr in (ua.AttributeIds.BrowseName, ua.AttributeIds.UserExecutable)
        ]
        browse_name, user_executable = await client.uaclient.read(read)
        assert browse_name.Value.Value.Name == "OpenBarrier" and user_executable.Value.Value is False
    async with connect(hub, "guard1") as client:
        assert await executable(client, "OpenBarrier") == (True, True)
        assert await executable(client, "SetAlertLevel") == (True, False)
    async with connect(hub, "officer1") as client:
        assert await executable(client, "SetAlertLevel") == (True, True)


async def test_a_write_is_refused_node_by_node_not_as_a_fault(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "guard1") as client:
        position = await node(client, "east_gate.in.barrier.position")
        params = ua.WriteParameters()
        params.NodesToWrite = [
            ua.WriteValue(
                NodeId=nid, AttributeId=ua.AttributeIds.Value, Value=ua.DataValue(ua.Variant("open"))
            )
            for nid in (position.nodeid, (await node(client, "east_gate.in.display.text")).nodeid)
        ]
        results = await client.uaclient.write(params)  # was: a ServiceFault for the whole request
        assert [r.value for r in results] == [ua.StatusCodes.BadUserAccessDenied] * 2
        assert await position.read_value() == "closed"


# ----- what the server does not know -------------------------------------------------------------
async def test_unknown_session_subscription_or_message_get_their_status_codes(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client, connect(hub, "guard1") as other:
        sub = await client.create_subscription(50, None)
        others = await other.create_subscription(50, None)

        async def republish(who: Client, sub_id: int, seq: int) -> Any:
            request = ua.RepublishRequest()
            request.Parameters = ua.RepublishParameters(SubscriptionId=sub_id, RetransmitSequenceNumber=seq)
            data = await who.uaclient.session._send_request(request)
            return struct_from_binary(ua.RepublishResponse, data).ResponseHeader.ServiceResult.check()

        with pytest.raises(ua.uaerrors.BadMessageNotAvailable):  # was: an empty Good answer
            await republish(client, sub.subscription_id, 4242)
        with pytest.raises(ua.uaerrors.BadSubscriptionIdInvalid):
            await republish(client, 999_999, 1)
        with pytest.raises(ua.uaerrors.BadSubscriptionIdInvalid):  # another session's subscription
            await republish(client, others.subscription_id, 1)
        with pytest.raises(ua.uaerrors.BadSubscriptionIdInvalid):
            params = ua.CreateMonitoredItemsParameters(SubscriptionId=others.subscription_id)
            await client.uaclient.create_monitored_items(params)
        results = await client.uaclient.delete_subscriptions([others.subscription_id])
        assert results[0].value == ua.StatusCodes.BadSubscriptionIdInvalid  # not deleted for the other

        # A request with a token the server never gave: the session is unknown (not access denied).
        client.uaclient.protocol.authentication_token = ua.NodeId(4711, 0)
        with pytest.raises(ua.uaerrors.BadSessionIdInvalid):
            await (await node(client, "east_gate.in.barrier.position")).read_value()
        assert await (await node(other, "east_gate.in.barrier.position")).read_value() == "closed"


async def test_session_tokens_are_secret_and_subscriptions_move_only_to_the_same_user(
    opcua_hub, connect
) -> None:
    hub = await opcua_hub()
    async with (
        connect(hub, "inspector1") as owner,
        connect(hub, "guard1") as stranger,
        connect(hub, "inspector1") as same_user,
    ):
        # asyncua numbered them 1000, 1001 ...: the next client's token was guessable.
        tokens = [c.uaclient.protocol.authentication_token for c in (owner, stranger, same_user)]
        assert {t.NodeIdType for t in tokens} == {ua.NodeIdType.Guid} and len(set(tokens)) == 3
        sub = await owner.create_subscription(50, None)

        async def transfer(who: Client) -> ua.StatusCode:
            params = ua.TransferSubscriptionsParameters(SubscriptionIds=[sub.subscription_id])
            return (await who.uaclient.transfer_subscriptions(params))[0].StatusCode

        assert (await transfer(stranger)).value == ua.StatusCodes.BadUserAccessDenied
        assert (await transfer(same_user)).is_good()  # the same person's new session takes it over


class EventQueue:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.plates: asyncio.Queue[Any] = asyncio.Queue()

    def event_notification(self, event: Any) -> None:
        self.queue.put_nowait(event)

    def datachange_notification(self, node: Any, value: Any, data: Any) -> None:
        self.plates.put_nowait(value)


async def test_asyncua_client_reconnects_after_a_hub_restart_and_gets_events(
    opcua_hub, make_hub, client_cert
) -> None:
    hub = await opcua_hub()
    client = Client(hub.data["opcua"].endpoint, timeout=3, auto_reconnect=True, reconnect_max_delay=1.0)
    client.application_uri = CLIENT_URI
    await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{client_cert[0]},{client_cert[1]}")
    client.set_user("inspector1")
    client.set_password(PASSWORD)
    await client.connect()
    try:
        events = EventQueue()
        sub = await client.create_subscription(50, events)
        idx = await client.get_namespace_index(NAMESPACE)
        etype = client.get_node(ua.NodeId("GatePassageEventType", idx))
        await sub.subscribe_events(client.nodes.server, etype)
        await sub.subscribe_data_change(client.get_node(ua.NodeId("east_gate.in.decision.plate", idx)))
        await hub.services.async_call("ledger", "record_passage", passage(1))
        assert (await asyncio.wait_for(events.queue.get(), 5)).Plate == "冀B00001"

        old_id = sub.subscription_id
        text, config_dir = restart_yaml(hub), hub.config_dir
        await hub.async_stop()
        again = await make_hub(text, config_dir=config_dir)  # same port, same data directory
        assert "opcua" in again.loaded, again.setup_errors

        async def next_text() -> str:
            return (await asyncio.wait_for(events.queue.get(), 1.0)).Plate

        assert await receives_passages(again, next_text, within=10.0)
        while (await asyncio.wait_for(events.plates.get(), 5) or "") < "冀B00101":  # data too
            pass
        # The old subscription's id means nothing to the restarted hub (asyncua began at 78 each time).
        params = ua.TransferSubscriptionsParameters(SubscriptionIds=[old_id])
        transferred = await client.uaclient.transfer_subscriptions(params)
        assert transferred[0].StatusCode.value == ua.StatusCodes.BadSubscriptionIdInvalid
    finally:
        logging.getLogger("asyncua").setLevel(logging.WARNING)
        await client.disconnect()
