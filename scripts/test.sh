#!/usr/bin/env bash
# The test command: installs everything, starts the real Kafka broker and document store
# (or reuses running ones), and runs every test layer. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
OCO_WITH_BROWSER=1 scripts/bootstrap.sh
if [ -z "${OCO_KAFKA_BOOTSTRAP:-}" ] || [ -z "${OCO_MONGO_URL:-}" ]; then
  .venv/bin/oco infra up
  export OCO_KAFKA_BOOTSTRAP="127.0.0.1:${OCO_LOCAL_KAFKA_PORT:-19092}"
  export OCO_MONGO_URL="mongodb://127.0.0.1:${OCO_LOCAL_MONGO_PORT:-27027}/"
fi
exec .venv/bin/python -m pytest "$@"
