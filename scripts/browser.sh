#!/usr/bin/env bash
# Install what the end-to-end tests need when it is missing: Debian's Chromium (Playwright drives
# it; its own browser download is not used) and axe-core from npm (tests/e2e/package-lock.json),
# which the accessibility tests inject into pages.
set -euo pipefail
E2E="$(dirname "$0")/../tests/e2e"
if [ ! -f "$E2E/node_modules/axe-core/axe.min.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "npm is missing and this user cannot install it: run 'sudo apt-get install npm'." >&2
      exit 1
    fi
    echo "installing npm for the accessibility tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq npm >/dev/null
  fi
  echo "installing axe-core for the accessibility tests"
  (cd "$E2E" && npm ci --no-audit --no-fund --silent)
fi
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing and this user cannot install it: run 'sudo apt-get install chromium'." >&2
  exit 1
fi
echo "installing Chromium for the end-to-end tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
