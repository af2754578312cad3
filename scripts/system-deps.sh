#!/usr/bin/env bash
# Chromium for the browser tests, from Debian's packages. Installs it when we are root
# with apt; otherwise names exactly what to install.
set -u
if [ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "system-deps: installing Debian's chromium (no browser download)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "system-deps: Chromium is missing: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH)" >&2
exit 0
