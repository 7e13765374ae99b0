#!/usr/bin/env bash
# Cron entry point: run the due steps of the program in config/program.yaml.
# Exit status is microintern's: 0 ok (or another run holds the program: one line names it),
# 1 a step failed, 2 bad config. Run it as any account in the program's group (see
# docs/setup-google.md, "The run lock and the lease"): the lock belongs to the program.
#
# Everything the run prints goes to stdout, which cron mails to MAILTO: the summary line with
# the counts, then one line per problem ("  ! step: who: what — why; to do: ..."), ids only,
# never names or addresses. With MICROINTERN_LOG set, the same lines are also appended there.
set -euo pipefail
cd "$(dirname "$0")/.."
run=(.venv/bin/microintern --config "${MICROINTERN_CONFIG:-config/program.yaml}" run-due "$@")
if [[ -z "${MICROINTERN_LOG:-}" ]]; then
    exec "${run[@]}"
fi
# pipefail: the status is microintern's, not tee's.
"${run[@]}" 2>&1 | tee -a "$MICROINTERN_LOG"
