#!/usr/bin/env bash
# Starts the local services the tests talk to when they are not running already.
# Tests that need a service they cannot reach start their own on a free port (see tests/conftest.py);
# this script makes the common case fast.
set -u
if command -v mosquitto >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  if [ -f /etc/mosquitto/mosquitto.conf ]; then mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
  else mosquitto -d -p 1883 || true; fi
fi
exit 0
