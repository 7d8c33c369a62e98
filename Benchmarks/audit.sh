#!/usr/bin/env bash
# Issue 5's benchmark: `flotilla audit` against Ansible running the same chronyc commands, on the loopback fleet of
# Benchmarks/run.sh. Not a test; nothing here runs in CI. Run as root:
#
#   Benchmarks/audit.sh [N]           (default 200)
#
# The fleet's servers are this machine, which has no chrony: every host reports "chrony absent" (Flotilla: verdict
# unknown; Ansible: the command fails), which still exercises the whole path: connect, verify the host key,
# authenticate, run the commands, collect and judge the answers. Target (issue 5): 200 hosts in under 2 s, at least
# 10 times faster than Ansible.
#   flotilla audit -i DIR/inventory.ini --forks N             exit 0 or 2 (2 = some host not ok) accepted; every
#                                                             host must be named in its report; FLOTILLA_DB in DIR
#   flotilla run -i DIR/inventory.ini -- date +%s.%N          the floor: one connection and one trivial command
#                                                             per host (BENCH_ONLY ids: flotilla, floor, ansible,
#                                                             ansible-playbook)
#   ansible all -m shell -a 'chronyc -c tracking; chronyc -c sources'     one task: every host must return an rc
#   ansible-playbook lib/audit.yml (two command tasks, failed_when: false) every host must end ok=2 (BENCH_EXTRAS=0
#                                                                          leaves it out)
# Environment: as for run.sh (FLOTILLA, BENCH_DIR, BENCH_VENV, BENCH_ONLY, BENCH_REPEAT, BENCH_QUIET_*).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib
ME=audit.sh
# shellcheck source=lib/common.sh
. "$LIB/common.sh"

N=${1:-200}
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || die "N must be a positive number, got '$N'"
require_root
RESULTS=${RESULTS:-$BENCH_DIR/audit-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$RESULTS"
install_tools
find_flotilla audit --help   # any 'audit' subcommand will do
write_versions
raise_nofile

FLEET=$BENCH_DIR/audit-n$N
cleanup() { [ -n "${FLEET:-}" ] && "$FLEET_SH" stop "$FLEET" >&2; }
trap cleanup EXIT
trap 'exit 130' INT TERM
say "== N=$N: starting $N sshd servers in $FLEET"
"$FLEET_SH" start "$N" "$FLEET" >&2 || die "the fleet did not start"
ansible_env
warm_up

CHRONY='chronyc -c tracking; chronyc -c sources'
if [ "$FLOTILLA_OK" = 1 ]; then
  KH=(); grep -q -- '--known-hosts' "$RESULTS/flotilla-audit-help.txt" && KH=(--known-hosts "$FLEET/known_hosts")
  FORKS=(); grep -q -- '--forks' "$RESULTS/flotilla-audit-help.txt" && FORKS=(--forks "$N")
  # Each audit is recorded in SQLite ($FLOTILLA_DB): kept in the fleet dir, not in /var/lib/flotilla.
  wanted flotilla && OK_KIND=names OK_EXIT=0,2 measure flotilla "flotilla audit" audit -- \
    env FLOTILLA_DB="$FLEET/flotilla.sqlite" "$FLOTILLA" audit -i "$FLEET/inventory.ini" "${FORKS[@]}" "${KH[@]}"
  # The floor of any audit over SSH: one connection and one trivial command per host (Flotilla's is the cheapest
  # client in Benchmarks/run.sh). The audit's own cost is its wall time minus this one's.
  wanted floor && OK_KIND=names measure floor "floor: flotilla run -- date" audit -- \
    "$FLOTILLA" run -i "$FLEET/inventory.ini" "${FORKS[@]}" "${KH[@]}" -- date +%s.%N
else
  skip flotilla "flotilla audit" audit "$FLOTILLA_NOTE"
fi
# The shell exits 127 (chronyc not found) on every host: Ansible reports each as FAILED with rc=127, exit status 2.
wanted ansible && OK_KIND=adhoc OK_EXIT=0,2 measure ansible "Ansible ad-hoc shell" audit -- \
  env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" "$VENV/bin/ansible" all -i "$FLEET/inventory.ini" -f "$N" -m shell -a "$CHRONY"
wanted ansible-playbook && OK_KIND=recap:2 measure ansible-playbook "Ansible playbook, 2 tasks" audit -- \
  env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" "$VENV/bin/ansible-playbook" -i "$FLEET/inventory.ini" -f "$N" "$LIB/audit.yml"

settle
"$FLEET_SH" stop "$FLEET" >&2
FLEET=
"$PY" "$LIB/bench.py" report "$RESULTS/results.jsonl" | tee "$RESULTS/report.txt"
echo
echo "versions and machine: $RESULTS/versions.txt; every output: $RESULTS/"
