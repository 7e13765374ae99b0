#!/usr/bin/env bash
# The report's browser test draws the HTML report in headless Chromium. Install Debian's
# package when it is missing and we may (root with apt-get, as on CI's fresh Debian machine);
# otherwise say how, and let the test itself fail with its own clear message.
#
# Another apt (unattended-upgrades on a fresh machine, a second CI job) may hold the dpkg/apt
# locks. apt-get waits for them itself with DPkg::Lock::Timeout, so every apt-get below waits
# up to MICROINTERN_APT_LOCK_WAIT seconds (default 300) instead of failing at once; a failed
# `apt-get update` (a mirror hiccup, or a lock that option does not cover on every apt
# version) is retried a few times. Each apt-get also runs under `timeout`, so a stuck
# download cannot hang CI forever: at worst this script gives up and the test says why.
set -euo pipefail

if [ -n "${MICROINTERN_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi

lock_wait="${MICROINTERN_APT_LOCK_WAIT:-300}"
tries="${MICROINTERN_APT_TRIES:-3}"
retry_delay="${MICROINTERN_APT_RETRY_DELAY:-20}"
# Waiting for the lock, then the work itself: a generous bound, never an endless one.
limit=$((lock_wait + ${MICROINTERN_APT_WORK_LIMIT:-600}))

note_missing() {
  echo "note: Chromium is not installed; the report's browser test needs it" >&2
  echo "      (Debian/Ubuntu: sudo apt-get install chromium; or set MICROINTERN_CHROMIUM)" >&2
}

apt_get() {
  timeout "$limit" apt-get -o "DPkg::Lock::Timeout=$lock_wait" "$@"
}

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "Installing Chromium for the report's browser test (waiting up to ${lock_wait}s" \
       "if another apt holds its lock)..." >&2
  attempt=1
  until apt_get update -qq; do
    if [ "$attempt" -ge "$tries" ]; then
      echo "note: apt-get update failed $tries times; Chromium was not installed" >&2
      note_missing
      exit 0
    fi
    echo "apt-get update failed (try $attempt of $tries); trying again in ${retry_delay}s" >&2
    attempt=$((attempt + 1))
    sleep "$retry_delay"
  done
  if ! apt_get install -y -qq --no-install-recommends chromium >/dev/null; then
    echo "note: apt-get install chromium failed (still locked after ${lock_wait}s, or no package)" >&2
    note_missing
  fi
  exit 0
fi
note_missing
