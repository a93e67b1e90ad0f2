#!/usr/bin/env bash
# The main job: installs everything, starts Kafka, the document store, the Slack stand-in
# (unless SLACK_BOT_TOKEN is set) and every service, loads the demo city, and shows where
# the dashboard is. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/oco up --demo "$@"
