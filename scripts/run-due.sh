#!/usr/bin/env bash
# Cron entry point: run the due steps of the program in config/program.yaml.
# Exit status is microintern's: 0 ok (or another run holds the program: one line names it),
# 1 a step failed, 2 bad config. Run it as any account in the program's group (see
# docs/setup-google.md, "The run lock and the lease"): the lock belongs to the program.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/microintern --config "${MICROINTERN_CONFIG:-config/program.yaml}" run-due "$@"
