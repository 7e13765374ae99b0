#!/usr/bin/env bash
# The report's browser test draws the HTML report in headless Chromium. Install Debian's
# package when it is missing and we may (root with apt-get, as on CI's fresh Debian machine);
# otherwise say how, and let the test itself fail with its own clear message.
set -euo pipefail
if [ -n "${MICROINTERN_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "note: Chromium is not installed; the report's browser test needs it" >&2
echo "      (Debian/Ubuntu: sudo apt-get install chromium; or set MICROINTERN_CHROMIUM)" >&2
