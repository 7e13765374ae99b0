#!/usr/bin/env bash
# The accessibility test (tests/test_accessibility.py) runs axe-core, Deque's WCAG rule engine,
# in headless Chromium. Install it from the npm registry into tests/axe/node_modules, exactly as
# tests/axe/package-lock.json pins it (`npm ci`: same version, checked against the lock's
# integrity hash). Nothing is downloaded when that install is already there and current.
# Without npm, say how, and let the test itself fail with its own clear message.
set -euo pipefail

here="$(cd "$(dirname "$0")/../tests/axe" && pwd)"
installed="$here/node_modules/.package-lock.json"

if [ -f "$here/node_modules/axe-core/axe.min.js" ] && [ "$installed" -nt "$here/package-lock.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "note: npm is not installed; the accessibility test needs axe-core" >&2
  echo "      (Debian/Ubuntu: sudo apt-get install npm; then bash scripts/ensure-axe.sh)" >&2
  exit 0
fi
echo "Installing axe-core for the accessibility test (npm ci in tests/axe)..." >&2
# --ignore-scripts: axe-core has no install scripts, and nothing from the registry should run here.
if ! timeout "${MICROINTERN_NPM_LIMIT:-300}" npm ci --prefix "$here" --ignore-scripts --no-audit \
     --no-fund --loglevel=error; then
  echo "note: npm ci in tests/axe failed; the accessibility test will say what is missing" >&2
fi
