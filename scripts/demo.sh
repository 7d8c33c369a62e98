#!/usr/bin/env bash
# The main job on a local fleet, from a fresh Debian 12 machine (as root): install what is needed, build
# Flotilla, start a lab of 8 real systemd hosts in mixed starting states, preview the plan, roll it out in
# batches (a canary first), then audit clock drift across the fleet. `flotilla lab down` removes the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "== building (release)"
swift build -c release 2>&1 | tail -n 1
F="$PWD/.build/release/flotilla"
INV=/var/lib/flotilla/lab/inventory.yml

echo "== flotilla lab up --hosts 8"
if "$F" lab status >/dev/null 2>&1 && [ -f "$INV" ]; then
  echo "(a lab is already up: using it; 'flotilla lab down' first for a fresh one)"
else
  "$F" lab up --hosts 8
fi

# Every fleet command runs inside the lab's network with --netns (or: flotilla lab exec -- flotilla ...).
echo "== flotilla plan (dry run: nothing changes on the hosts)"
"$F" plan --netns flotilla-vpc -i "$INV" Playbooks/chrony.yml || true

echo "== flotilla apply (canary, then batches; stops when the failure budget is spent)"
"$F" apply --netns flotilla-vpc -i "$INV" Playbooks/chrony.yml --yes

echo "== flotilla audit (drift across the fleet, with error bounds)"
"$F" audit --netns flotilla-vpc -i "$INV" Playbooks/chrony.yml
