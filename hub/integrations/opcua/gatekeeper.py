"""What each OPC UA connection may ask, and the right answer when it names what the server does not know.

asyncua (2.1) is patched here, contained in our own UaProcessor subclass (installed by
guarded_server.py), for faults found with other vendors' clients:

- It accepts a channel with SecurityPolicy None even when no None endpoint is offered, and runs any
  session on it (the password in clear text). Here a None channel gets only GetEndpoints/FindServers;
  every other request is refused with BadSecurityPolicyRejected and the attempt is audited
  (`user_login`, outcome `refused`), once per connection. With `allow_none_policy: true` the None
  endpoint is offered for sessions, but never for a password.
- After a hub restart a client's Republish of a sequence number the server never sent got an empty
  Good answer, which standard clients (node-opcua) ask again at once, for ever, and never resume
  publishing. Republish answers BadSubscriptionIdInvalid or BadMessageNotAvailable, as the
  specification says (Part 4, 5.13.6).
- A request on a connection without a session, with another session's token, or for a closed session
  gets BadSessionIdInvalid (not BadUserAccessDenied, which clients take as final); a request naming a
  subscription of another session gets BadSubscriptionIdInvalid, and TransferSubscriptions moves only
  subscriptions of the same hub user (Part 4, 5.13.7), rebinding both of asyncua's publish callbacks.
- asyncua numbers sessions' tokens and subscriptions afresh at every start (fixed in guarded_server.py).

Per session's language: our nodes' display names are zh-CN; a session whose first LocaleId (given at
ActivateSession) is English reads and browses them in English (Part 4, 5.6.3: the server picks from
the client's locales). asyncua keeps one text per node and ignores the locales.

Per user: a Read of a method's UserExecutable answers whether the
session's user may call it (asyncua answers the static Executable for everyone), and a Write is refused
node by node with BadUserAccessDenied in its results (the variables mirror the hub's states; nobody
writes them) instead of failing the whole request.

The connection's facts (address, security mode, certificate thumbprint, application URI) are left in a
context variable for the request being handled, so the login check can put them in the audit log.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypedDict

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.server.internal_session import SessionState
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.ua_binary import struct_from_binary

_LOGGER = logging.getLogger(__name__)


def _ids(*names: str) -> frozenset[ua.NodeId]:
    return frozenset(ua.NodeId(getattr(ua.ObjectIds, f"{n}Request_Encoding_DefaultBinary")) for n in names)


DISCOVERY = _ids("GetEndpoints", "FindServers", "FindServersOnNetwork", "CloseSecureChannel")
NO_SESSION = DISCOVERY | _ids("CreateSession", "ActivateSession", "RegisterServer", "RegisterServer2")
CREATE_SESSION = ua.NodeId(ua.ObjectIds.CreateSessionRequest_Encoding_DefaultBinary)
ACTIVATE_SESSION = ua.NodeId(ua.ObjectIds.ActivateSessionRequest_Encoding_DefaultBinary)
REPUBLISH = ua.NodeId(ua.ObjectIds.RepublishRequest_Encoding_DefaultBinary)
DELETE_SUBSCRIPTIONS = ua.NodeId(ua.ObjectIds.DeleteSubscriptionsRequest_Encoding_DefaultBinary)
SET_PUBLISHING_MODE = ua.NodeId(ua.ObjectIds.SetPublishingModeRequest_Encoding_DefaultBinary)
TRANSFER_SUBSCRIPTIONS = ua.NodeId(ua.ObjectIds.TransferSubscriptionsRequest_Encoding_DefaultBinary)
READ = ua.NodeId(ua.ObjectIds.ReadRequest_Encoding_DefaultBinary)
BROWSE = ua.NodeId(ua.ObjectIds.BrowseRequest_Encoding_DefaultBinary)
WRITE = ua.NodeId(ua.ObjectIds.WriteRequest_Encoding_DefaultBinary)
# Requests that name one subscription, and how to read their parameters.
ONE_SUBSCRIPTION: dict[ua.NodeId, type] = {
    next(iter(_ids(name))): getattr(ua, f"{name}Parameters")
    for name in (
        "CreateMonitoredItems", "ModifyMonitoredItems", "DeleteMonitoredItems", "SetMonitoringMode",
        "ModifySubscription",
    )
}  # fmt: skip


class PeerAudit(TypedDict):
    """What a `user_login` event from this door adds about the connection (hub/core/events.py)."""

    remote: str | None
    security_mode: str
    security_policy: str
    thumbprint: str | None
    application_uri: str | None


@dataclass(frozen=True, slots=True)
class Peer:
    """The other end of an OPC UA connection, as the audit log records it."""

    address: str | None
    security_mode: str  # None | Sign | SignAndEncrypt
    security_policy: str  # None | Basic256Sha256 ...
    thumbprint: str | None  # SHA-1 of the client's application certificate
    application_uri: str | None  # from the client's CreateSession

    def audit(self) -> PeerAudit:
        return PeerAudit(
            remote=self.address, security_mode=self.security_mode, security_policy=self.security_policy,
            thumbprint=self.thumbprint, application_uri=self.application_uri,
        )  # fmt: skip


_PEER: ContextVar[Peer | None] = ContextVar("ecogate_opcua_peer", default=None)


def current_peer() -> Peer | None:
    """The connection whose request is being handled (None outside a request)."""
    return _PEER.get()


@dataclass(frozen=True, slots=True)
class Rules:
    allow_none_policy: bool
    # (peer, how, request name): audit a sign-in refused before the user manager is asked.
    on_refused: Callable[[Peer, str, str], None]
    # (session user, method node id) -> may that user call it; None: not one of our methods.
    user_executable: Callable[[Any, ua.NodeId], bool | None] = lambda user, node_id: None
    # (node id, the session's locales) -> the node's display name in their language; None: as stored.
    display_name: Callable[[ua.NodeId, list[str]], ua.LocalizedText | None] = lambda node_id, locales: None


class GuardedProcessor(UaProcessor):
    def __init__(self, iserver: Any, transport: Any, limits: Any, rules: Rules) -> None:
        super().__init__(iserver, transport, limits)
        self.rules = rules
        self.application_uri: str | None = None
        self._refusal_audited = False
        self.locales: list[str] = []  # the session's, from ActivateSession
        self._peer: tuple[Any, str | None, Peer] | None = None  # (policy, application URI, peer)

    def peer(self) -> Peer:
        policy = self._connection.security_policy
        if self._peer is not None and self._peer[0] is policy and self._peer[1] == self.application_uri:
            return self._peer[2]  # every Publish asks: the channel's facts change only when it does
        mode = getattr(policy, "Mode", ua.MessageSecurityMode.None_)
        cert = policy.peer_certificate
        address = f"{self.name[0]}:{self.name[1]}" if isinstance(self.name, tuple) else None
        peer = Peer(
            address, "None" if mode == ua.MessageSecurityMode.None_ else mode.name,
            str(policy.URI).rsplit("#", 1)[-1],
            hashlib.sha1(cert, usedforsecurity=False).hexdigest().upper() if cert else None,
            self.application_uri,
        )  # fmt: skip
        self._peer = (policy, self.application_uri, peer)
        return peer

    async def _process_message(self, typeid: Any, requesthdr: Any, seqhdr: Any, body: Any) -> Any:
        if typeid == CREATE_SESSION:
            try:
                params = struct_from_binary(ua.CreateSessionParameters, body.copy())
                self.application_uri = params.ClientDescription.ApplicationUri
            except Exception:  # asyncua's own parse of the same bytes answers the client
                pass
        peer = self.peer()
        _PEER.set(peer)
        if peer.security_policy == "None" and typeid not in DISCOVERY and not self.rules.allow_none_policy:
            if not self._refusal_audited:
                self._refusal_audited = True
                self.rules.on_refused(peer, "security_policy_none", _name(typeid))
            raise ServiceError(ua.StatusCodes.BadSecurityPolicyRejected)
        if typeid == ACTIVATE_SESSION:
            self._audit_refused_token(peer, body)
            self._take_locales(body)
        if typeid not in NO_SESSION:
            self._check_session(requesthdr)
            if typeid == REPUBLISH:
                return self._republish(requesthdr, seqhdr, body)
            if typeid in ONE_SUBSCRIPTION:
                # Any of ONE_SUBSCRIPTION's parameter types: each has a SubscriptionId.
                named: Any = struct_from_binary(ONE_SUBSCRIPTION[typeid], body.copy())
                if not self._owns(named.SubscriptionId):
                    raise ServiceError(ua.StatusCodes.BadSubscriptionIdInvalid)
            elif typeid in (DELETE_SUBSCRIPTIONS, SET_PUBLISHING_MODE):
                return await self._for_own_subscriptions(typeid, requesthdr, seqhdr, body)
            elif typeid == TRANSFER_SUBSCRIPTIONS:
                return self._transfer(requesthdr, seqhdr, body)
            elif typeid == WRITE:
                return self._refuse_writes(requesthdr, seqhdr, body)
            elif typeid == READ and self.session is not None and self.session.is_activated():
                reading = struct_from_binary(ua.ReadParameters, body.copy())
                per_user = {ua.AttributeIds.UserExecutable}
                if self.locales:
                    per_user.add(ua.AttributeIds.DisplayName)
                if any(r.AttributeId in per_user for r in reading.NodesToRead):
                    return await self._read_per_user(typeid, requesthdr, seqhdr, body, reading)
            elif typeid == BROWSE and self.locales and self.session is not None:
                if self.session.is_activated():
                    return await self._browse_in_language(typeid, requesthdr, seqhdr, body)
        return await super()._process_message(typeid, requesthdr, seqhdr, body)

    def _audit_refused_token(self, peer: Peer, body: Any) -> None:
        """asyncua refuses an identity token of a kind not offered (anonymous, when it is off) before
        the user manager sees it: the attempt goes in the audit log here."""
        try:
            token = struct_from_binary(ua.ActivateSessionParameters, body.copy()).UserIdentityToken
        except Exception:  # asyncua's own parse of the same bytes answers the client
            return
        if isinstance(token, ua.ExtensionObject) and token.TypeId == ua.NodeId(ua.ObjectIds.Null):
            token = ua.AnonymousIdentityToken()  # how asyncua reads an empty token
        if not isinstance(token, self.iserver.supported_tokens):
            kind = type(token).__name__.removesuffix("IdentityToken").lower()
            self.rules.on_refused(peer, kind, "ActivateSession")

    def _check_session(self, requesthdr: Any) -> None:
        session = self.session
        if session is None or session.state == SessionState.Closed:
            raise ServiceError(ua.StatusCodes.BadSessionIdInvalid)
        if requesthdr.AuthenticationToken != session.auth_token:
            raise ServiceError(ua.StatusCodes.BadSessionIdInvalid)
        self.session_last_activity = time.monotonic()  # as asyncua does, for the requests answered here
        session.touch()

    def _owns(self, subscription_id: int) -> bool:
        sub = self.iserver.subscription_service.subscriptions.get(subscription_id)
        return sub is not None and self.session is not None and sub.session_id == self.session.session_id

    def _republish(self, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        params = struct_from_binary(ua.RepublishParameters, body)
        if not self._owns(params.SubscriptionId):
            raise ServiceError(ua.StatusCodes.BadSubscriptionIdInvalid)
        assert self.session is not None
        message = self.session.republish(params)
        if not message.SequenceNumber:  # asyncua's empty answer: nothing kept under that number
            raise ServiceError(ua.StatusCodes.BadMessageNotAvailable)
        response = ua.RepublishResponse()
        response.NotificationMessage = message
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True

    async def _for_own_subscriptions(self, typeid: Any, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        """DeleteSubscriptions / SetPublishingMode on this session's subscriptions only."""
        assert self.session is not None
        delete = typeid == DELETE_SUBSCRIPTIONS
        params: ua.DeleteSubscriptionsParameters | ua.SetPublishingModeParameters
        if delete:
            params = struct_from_binary(ua.DeleteSubscriptionsParameters, body)
        else:
            params = struct_from_binary(ua.SetPublishingModeParameters, body)
        own = [i for i in params.SubscriptionIds if self._owns(i)]
        if isinstance(params, ua.SetPublishingModeParameters):
            asked = ua.SetPublishingModeParameters(params.PublishingEnabled, own)
            done = await self.session.set_publishing_mode(asked)
        else:
            done = await self.session.delete_subscriptions(own)
        by_id = dict(zip(own, done, strict=True))
        invalid = ua.StatusCode(ua.StatusCodes.BadSubscriptionIdInvalid)
        results = [by_id.get(i, invalid) for i in params.SubscriptionIds]
        response: Any
        if delete:
            response = ua.DeleteSubscriptionsResponse()
            response.Results = results
        else:
            response = ua.SetPublishingModeResponse()
            response.Parameters.Results = results
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True

    def _refuse_writes(self, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        params = struct_from_binary(ua.WriteParameters, body)
        response = ua.WriteResponse()
        response.Results = [ua.StatusCode(ua.StatusCodes.BadUserAccessDenied) for _ in params.NodesToWrite]
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True

    async def _read_per_user(self, typeid: Any, requesthdr: Any, seqhdr: Any, body: Any, params: Any) -> bool:
        """A Read that asks for UserExecutable: asyncua's answers, with that attribute per user."""
        assert self.session is not None
        user = self.session.user
        permissions = self._connection.security_policy.permissions
        if permissions is not None and permissions.check_validity(user, typeid, body) is False:
            raise ServiceError(ua.StatusCodes.BadUserAccessDenied)
        results = await self.session.read(params)
        for n, item in enumerate(params.NodesToRead):
            status = results[n].StatusCode  # None: left out of the encoding, which means Good
            if status is not None and not status.is_good():
                continue
            if item.AttributeId == ua.AttributeIds.UserExecutable:
                allowed = self.rules.user_executable(user, item.NodeId)
                if allowed is not None:
                    results[n] = ua.DataValue(ua.Variant(allowed, ua.VariantType.Boolean))
            elif item.AttributeId == ua.AttributeIds.DisplayName:
                name = self.rules.display_name(item.NodeId, self.locales)
                if name is not None:
                    results[n] = ua.DataValue(ua.Variant(name, ua.VariantType.LocalizedText))
        response = ua.ReadResponse()
        response.Results = results
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True

    def _take_locales(self, body: Any) -> None:
        try:
            asked = struct_from_binary(ua.ActivateSessionParameters, body.copy()).LocaleIds
        except Exception:  # asyncua's own parse of the same bytes answers the client
            return
        self.locales = [str(locale) for locale in asked or [] if locale]

    async def _browse_in_language(self, typeid: Any, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        """A Browse as asyncua answers it, with our nodes' display names in the session's language."""
        assert self.session is not None
        permissions = self._connection.security_policy.permissions
        if permissions is not None and permissions.check_validity(self.session.user, typeid, body) is False:
            raise ServiceError(ua.StatusCodes.BadUserAccessDenied)
        answers = await self.session.browse(struct_from_binary(ua.BrowseParameters, body))
        results = []
        for answer in answers:  # copies: asyncua answers with the address space's own references
            result = copy.copy(answer)
            result.References = [self._in_language(ref) for ref in answer.References or []]
            results.append(result)
        response = ua.BrowseResponse()
        response.Results = results
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True

    def _in_language(self, ref: ua.ReferenceDescription) -> ua.ReferenceDescription:
        name = self.rules.display_name(ref.NodeId, self.locales)
        if name is None:
            return ref
        ref = copy.copy(ref)
        ref.DisplayName = name
        return ref

    def _transfer(self, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        """TransferSubscriptions: only a subscription of a session signed in as the same hub user."""
        assert self.session is not None
        params = struct_from_binary(ua.TransferSubscriptionsParameters, body)
        service = self.iserver.subscription_service
        me = getattr(self.session.user, "user_id", None)
        owners = {s.session_id: s.user for s in self.iserver._external_sessions.values()}
        results = []
        for sub_id in params.SubscriptionIds:
            result = ua.TransferResult()
            sub = service.subscriptions.get(int(sub_id))
            if sub is None:
                result.StatusCode = ua.StatusCode(ua.StatusCodes.BadSubscriptionIdInvalid)
            elif me is None or getattr(owners.get(sub.session_id), "user_id", None) != me:
                result.StatusCode = ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
            else:
                sub.session_id = self.session.session_id
                sub.pub_result_callback = self.forward_publish_response
                # asyncua types the callback's argument int and its own method's ua.IntegerId (an int)
                sub.pub_request_callback = self.get_publish_request  # type: ignore[assignment]  # int vs IntegerId
                result.AvailableSequenceNumbers = sorted(sub._not_acknowledged_results)
            results.append(result)
        response = ua.TransferSubscriptionsResponse()
        response.Parameters.Results = results
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True


def _name(typeid: ua.NodeId) -> str:
    for name, value in vars(ua.ObjectIds).items():
        if value == typeid.Identifier and name.endswith("_Encoding_DefaultBinary"):
            return name.removesuffix("Request_Encoding_DefaultBinary")
    return str(typeid)
