#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine (as root) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c debug 2>&1 | tail -n 3
swift test 2>&1
# A short run of every fuzz target (docs/fuzzing.md): a crash, a sanitizer report, an input slower than 10 s or
# heavier than 2 GiB fails the run. FLOTILLA_FUZZ_SECONDS sets the time per target.
./scripts/fuzz.sh all "${FLOTILLA_FUZZ_SECONDS:-35}"
