#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine (as root) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c debug 2>&1 | tail -n 3
swift test 2>&1
