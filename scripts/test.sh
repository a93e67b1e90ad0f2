#!/usr/bin/env bash
# The test command: installs everything, starts the real Kafka broker and document store
# (or reuses running ones), and runs every test layer. Extra arguments go to pytest.
#
# Tests get an instance of their own (Kafka on 19192, FerretDB on 27127, data of their own),
# so what they publish never shows up in the system `scripts/run.sh` runs. To test against
# servers you run yourself, set OCO_KAFKA_BOOTSTRAP and OCO_MONGO_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
OCO_WITH_BROWSER=1 scripts/bootstrap.sh
if [ -z "${OCO_KAFKA_BOOTSTRAP:-}" ] || [ -z "${OCO_MONGO_URL:-}" ]; then
  export OCO_LOCAL_KAFKA_PORT="${OCO_TEST_KAFKA_PORT:-19192}" OCO_LOCAL_MONGO_PORT="${OCO_TEST_MONGO_PORT:-27127}"
  .venv/bin/oco infra up
  export OCO_KAFKA_BOOTSTRAP="127.0.0.1:${OCO_LOCAL_KAFKA_PORT}"
  export OCO_MONGO_URL="mongodb://127.0.0.1:${OCO_LOCAL_MONGO_PORT}/"
fi
exec .venv/bin/python -m pytest "$@"
