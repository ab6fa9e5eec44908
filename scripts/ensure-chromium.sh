#!/usr/bin/env bash
# Test setup: the report's browser test drives Debian's Chromium through playwright-core (no
# browser download). Installs the `chromium` package when it is missing; needs root (as on the
# project's machines and CI). Idempotent and quiet when Chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "xen-memsim tests need Debian's chromium package: run 'sudo apt-get install -y chromium'" >&2
  exit 1
fi
echo "installing Debian's chromium for the report's browser test ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
command -v chromium >/dev/null
