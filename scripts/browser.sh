#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end tests when it is missing (Playwright drives it;
# its own browser download is not used).
set -euo pipefail
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
