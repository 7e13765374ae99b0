#!/usr/bin/env bash
# Cron entry point: run the due steps of the program in config/program.yaml.
# Exit status is microintern's: 0 ok (or another run is active), 1 a step failed, 2 bad config.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/microintern --config "${MICROINTERN_CONFIG:-config/program.yaml}" run-due "$@"
