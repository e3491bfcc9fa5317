// A test-only OPC UA client on an independent stack (node-opcua), driven by the hub's tests.
//
//   node client.js '<json options>'
//
// Options: endpoint, action ("read" | "events"), mode ("None" | "Sign" | "SignAndEncrypt"),
// user, password, cert, key (PEM files of the client's application certificate), applicationUri,
// pki (a folder for node-opcua's own certificate store), namespace (our namespace URI).
//
// It prints one JSON object a line on stdout after "@ecogate ", which the tests read:
//   {"type": "connected"}                        the session is active
//   {"type": "read", "position": ..., "children": [...]}
//   {"type": "model", "laneType": ..., "members": [...], "unitId": ..., "argumentRanks": [...],
//    "call": <status name of CloseBarrier(east_gate, in)>}   (action "model")
//   {"type": "subscribed"}                       the event subscription is live
//   {"type": "event", "message": ..., "source": ...}
//   {"type": "data", "value": ...}              east_gate.in.decision.plate changed
//   {"type": "connection_lost"} / {"type": "reconnected"}
//   {"type": "error", "message": ...}            then it exits with code 2
"use strict";

const {
  OPCUAClient,
  MessageSecurityMode,
  SecurityPolicy,
  AttributeIds,
  ClientSubscription,
  ClientMonitoredItem,
  TimestampsToReturn,
  UserTokenType,
  DataType,
  BrowseDirection,
  constructEventFilter,
} = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

const opts = JSON.parse(process.argv[2] || "{}");
// node-opcua writes its own log lines on stdout too: ours carry a mark.
const say = (obj) => process.stdout.write("@ecogate " + JSON.stringify(obj) + "\n");

async function main() {
  const secure = opts.mode && opts.mode !== "None";
  const certificateManager = new OPCUACertificateManager({
    rootFolder: opts.pki,
    automaticallyAcceptUnknownCertificate: true, // the hub's certificate: this is the client's side
  });
  const client = OPCUAClient.create({
    applicationName: "EcoGate node-opcua test client",
    applicationUri: opts.applicationUri,
    clientCertificateManager: certificateManager,
    certificateFile: opts.cert,
    privateKeyFile: opts.key,
    securityMode: MessageSecurityMode[opts.mode || "SignAndEncrypt"],
    securityPolicy: secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
    // A None channel is not among the hub's endpoints: connect anyway, to see the hub refuse it.
    endpointMustExist: false,
    keepSessionAlive: true,
    requestedSessionTimeout: 20000,
    // node-opcua's standard reconnection, retrying quickly and for ever.
    connectionStrategy: { initialDelay: 250, maxDelay: 1000, maxRetry: 1000000 },
  });
  if (!secure) {
    // The hub offers no None endpoint, and node-opcua will not open a session without one: take the
    // first endpoint's description anyway, as a careless or hostile client would.
    const find = client.findEndpointForSecurity.bind(client);
    client.findEndpointForSecurity = (mode, policy) => find(mode, policy) || client._serverEndpoints[0];
  }
  client.on("connection_lost", () => say({ type: "connection_lost" }));
  client.on("after_reconnection", () => say({ type: "reconnected" }));

  await client.connect(opts.endpoint);
  const identity = opts.user
    ? { type: UserTokenType.UserName, userName: opts.user, password: opts.password }
    : { type: UserTokenType.Anonymous };
  const session = await client.createSession(identity);
  say({ type: "connected" });

  const namespaces = (await session.read({ nodeId: "i=2255", attributeId: AttributeIds.Value })).value.value;
  const ns = namespaces.indexOf(opts.namespace || "urn:ecogate:hub");

  if (opts.action === "read") {
    const position = await session.read({
      nodeId: `ns=${ns};s=east_gate.in.barrier.position`,
      attributeId: AttributeIds.Value,
    });
    const browsed = await session.browse(`ns=${ns};s=EcoGate`);
    say({
      type: "read",
      position: position.value.value,
      status: position.statusCode.name,
      children: (browsed.references || []).map((r) => r.browseName.name),
    });
    await session.close();
    await client.disconnect();
    return;
  }

  if (opts.action === "model") {
    // The information model as an engineering tool sees it, and a method call as this user.
    const typeRefs = await session.browse({
      nodeId: `ns=${ns};s=east_gate.in`, browseDirection: BrowseDirection.Forward,
      referenceTypeId: "HasTypeDefinition", includeSubtypes: true, resultMask: 63,
    });
    const laneType = typeRefs.references[0].nodeId.toString();
    const members = await session.browse(laneType);
    const units = await session.read({
      nodeId: `ns=${ns};s=east_gate.in.weight.kg.EngineeringUnits`, attributeId: AttributeIds.Value,
    });
    const args = await session.read({
      nodeId: `ns=${ns};s=EcoGate.SetAlertLevel.InputArguments`, attributeId: AttributeIds.Value,
    });
    const call = await session.call({
      objectId: `ns=${ns};s=EcoGate`, methodId: `ns=${ns};s=EcoGate.CloseBarrier`,
      inputArguments: [
        { dataType: DataType.String, value: "east_gate" }, { dataType: DataType.String, value: "in" },
      ],
    });
    say({
      type: "model", laneType, members: (members.references || []).map((r) => r.browseName.name),
      unitId: units.value.value.unitId, argumentRanks: args.value.value.map((a) => a.valueRank),
      call: call.statusCode.name,
    });
    await session.close();
    await client.disconnect();
    return;
  }

  // action "events": passages as they come, from the standard Server object, until killed.
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: 100,
    requestedLifetimeCount: 600,
    requestedMaxKeepAliveCount: 10,
    publishingEnabled: true,
  });
  const item = ClientMonitoredItem.create(
    subscription,
    { nodeId: "i=2253", attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 1000, discardOldest: true,
      filter: constructEventFilter(["EventId", "Message", "SourceName"]) },
    TimestampsToReturn.Both,
  );
  item.on("changed", (fields) => {
    say({ type: "event", message: String(fields[1].value && fields[1].value.text), source: fields[2].value });
  });
  // And data: the lane's last decided plate, which every recorded passage changes.
  const plate = ClientMonitoredItem.create(
    subscription,
    { nodeId: `ns=${ns};s=east_gate.in.decision.plate`, attributeId: AttributeIds.Value },
    { samplingInterval: 50, queueSize: 100, discardOldest: true },
    TimestampsToReturn.Both,
  );
  plate.on("changed", (dataValue) => say({ type: "data", value: dataValue.value.value }));
  item.on("initialized", () => say({ type: "subscribed" }));
  session.on("session_restored", () => say({ type: "session_restored" }));
  process.on("SIGTERM", async () => {
    try {
      await subscription.terminate();
      await session.close();
      await client.disconnect();
    } finally {
      process.exit(0);
    }
  });
}

main().catch((err) => {
  say({ type: "error", message: String(err && err.message ? err.message : err) });
  process.exit(2);
});
