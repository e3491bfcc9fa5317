"""The OPC UA and MQTT fixtures, for the tests that read insight's alarms through those doors."""

from tests.integrations.mqtt.conftest import broker, subscribe  # noqa: F401
from tests.integrations.opcua.conftest import client_cert, connect, node_client_cert, opcua_hub  # noqa: F401
