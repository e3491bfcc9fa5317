"""Constants of the OPC UA integration: names, node ids, defaults."""

from typing import Final

DOMAIN: Final = "opcua"

NAMESPACE_URI: Final = "urn:ecogate:hub"  # our namespace: every node of ours lives here
APPLICATION_URI: Final = "urn:ecogate:hub:server"  # must match the URI in the server certificate
PRODUCT_URI: Final = "urn:ecogate:hub"
DEFAULT_PORT: Final = 4840
DEFAULT_HOST: Final = "127.0.0.1"
ENDPOINT_PATH: Final = "/ecogate"

# String node ids (ns=<NAMESPACE_URI index>). Lane nodes are "<gate>.<lane>[.<group>[.<field>]]";
# these names start with a capital so they can never collide with a gate slug (lower case).
ROOT_ID: Final = "EcoGate"
PLANT_ID: Final = "Plant"
EVENT_TYPE_ID: Final = "GatePassageEventType"

# Files under <data_dir>/opcua/: created on first start, kept afterwards.
CERT_FILE: Final = "server_cert.der"
KEY_FILE: Final = "server_key.pem"
CERT_DAYS: Final = 3650

# The password check runs inside asyncua's synchronous session activation (see security.py):
# a good login is remembered this long, and slow checks are rationed per second.
LOGIN_CACHE_SECONDS: Final = 600.0
SLOW_CHECKS_PER_SECOND: Final = 3
MAX_FAILED_LOGINS: Final = 5
LOCKOUT_SECONDS: Final = 300.0
USER_REFRESH_SECONDS: Final = 10.0

# Client side: reconnect waits double from the first to the last.
BACKOFF_FIRST: Final = 0.5
BACKOFF_MAX: Final = 30.0
