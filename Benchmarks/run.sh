#!/usr/bin/env bash
# Flotilla vs OpenSSH (xargs -P), parallel-ssh (native libssh2 client), pyinfra and Ansible on a loopback fleet of
# real OpenSSH servers. Not a test; nothing here runs in CI. Run as root:
#
#   Benchmarks/run.sh [N...]          (default: 50 200)
#
# For each N: start N sshd servers (Benchmarks/sshd-fleet.sh), run every tool at parallelism N, once with the
# command `date +%s.%N` and once with five separate commands per host, check that every host answered, and stop the
# servers. Prints a table (wall s, CPU s, peak MB, ok/total, key exchange, ratio to Flotilla) and keeps all outputs.
#
# Environment:
#   FLOTILLA        the flotilla binary (default .build/release/flotilla; built with `swift build -c release`
#                   when missing unless BENCH_NO_BUILD=1; skipped with a clear line when it has no `run`)
#   BENCH_DIR       where fleets and results go (default /tmp/flotilla-bench; short: socket paths live there)
#   BENCH_VENV      the virtualenv for parallel-ssh, pyinfra and ansible-core (default Benchmarks/.venv)
#   BENCH_ONLY      comma-separated tool ids to run (default all): flotilla,openssh,openssh-curve25519,pssh,pyinfra,
#                   ansible,ansible-curve25519,ansible-pipelining,openssh-mux
#   BENCH_EXTRAS    0 to leave out the extra variants (openssh-curve25519, ansible-*, openssh-mux); default 1
#   BENCH_CASES     one,five (default both)
#   BENCH_REPEAT    runs per tool and case (default 1; the table shows the fastest correct run)
#   BENCH_QUIET_WAIT, BENCH_QUIET_BELOW   before each run, wait up to QUIET_WAIT s (60) for a second in which the
#                   machine is busy less than QUIET_BELOW (0.25) of its cores: other people's builds distort wall time.
#                   The table's "other" column shows the CPU unrelated processes used during each run anyway.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib
ME=run.sh
# shellcheck source=lib/common.sh
. "$LIB/common.sh"

NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(50 200)
CASES=${BENCH_CASES:-one,five}
RESULTS=${RESULTS:-$BENCH_DIR/results-$(date -u +%Y%m%dT%H%M%SZ)}
FIVE=('date +%s.%N' 'uname -r' 'id -u' 'cat /etc/hostname' 'true')

require_root
for n in "${NS[@]}"; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "N must be a positive number, got '$n'"; done
mkdir -p "$RESULTS"
install_tools
find_flotilla run --forks
FLOTILLA_MULTI=0 FLOTILLA_KH=0
if [ "$FLOTILLA_OK" = 1 ]; then
  grep -q -- '--command' "$RESULTS/flotilla-run-help.txt" && FLOTILLA_MULTI=1
  grep -q -- '--known-hosts' "$RESULTS/flotilla-run-help.txt" && FLOTILLA_KH=1
fi
write_versions
raise_nofile

cleanup() { [ -n "${FLEET:-}" ] && "$FLEET_SH" stop "$FLEET" >&2; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for N in "${NS[@]}"; do
  FLEET=$BENCH_DIR/n$N
  say "== N=$N: starting $N sshd servers in $FLEET"
  "$FLEET_SH" start "$N" "$FLEET" >&2 || die "the fleet did not start"
  mkdir -p "$FLEET/mux"
  SSH_OPTS="-F /dev/null -o BatchMode=yes -o UserKnownHostsFile=$FLEET/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i $FLEET/id_ed25519"
  export BENCH_SSH_OPTS=$SSH_OPTS BENCH_MUX_DIR=$FLEET/mux
  ansible_env
  FLOTILLA_ARGS=(-i "$FLEET/inventory.ini" --forks "$N")
  [ "$FLOTILLA_KH" = 1 ] && FLOTILLA_ARGS+=(--known-hosts "$FLEET/known_hosts")

  warm_up

  if [[ ",$CASES," == *",one,"* ]]; then
    say "-- N=$N, one command"
    if [ "$FLOTILLA_OK" = 1 ]; then
      wanted flotilla && measure flotilla "flotilla run" one -- "$FLOTILLA" run "${FLOTILLA_ARGS[@]}" -- date +%s.%N
    else
      skip flotilla "flotilla run" one "$FLOTILLA_NOTE"
    fi
    # shellcheck disable=SC2086
    wanted openssh && measure openssh "OpenSSH ssh, xargs -P" one -- \
      xargs -a "$FLEET/ports.txt" -P "$N" -I{} ssh $SSH_OPTS -p {} root@127.0.0.1 'date +%s.%N'
    # shellcheck disable=SC2086
    wanted openssh-curve25519 && measure openssh-curve25519 "OpenSSH xargs, curve25519" one -- \
      xargs -a "$FLEET/ports.txt" -P "$N" -I{} ssh $SSH_OPTS -o KexAlgorithms=curve25519-sha256 -p {} root@127.0.0.1 'date +%s.%N'
    wanted pssh && measure pssh "parallel-ssh (native)" one -- "$PY" "$LIB/pssh_run.py" "$FLEET" "$N" 'date +%s.%N'
    wanted pyinfra && measure pyinfra "pyinfra exec" one -- \
      "$VENV/bin/pyinfra" "$FLEET/inventory.py" exec -y --parallel "$N" -- date +%s.%N
    wanted ansible && measure ansible "Ansible ad-hoc" one -- \
      env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" "$VENV/bin/ansible" all -i "$FLEET/inventory.ini" -f "$N" -m command -a 'date +%s.%N'
    wanted ansible-curve25519 && measure ansible-curve25519 "Ansible ad-hoc, curve25519" one -- \
      env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH -o KexAlgorithms=curve25519-sha256" "$VENV/bin/ansible" all -i "$FLEET/inventory.ini" -f "$N" -m command -a 'date +%s.%N'
    wanted ansible-pipelining && measure ansible-pipelining "Ansible ad-hoc, pipelining" one -- \
      env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" ANSIBLE_PIPELINING=True "$VENV/bin/ansible" all -i "$FLEET/inventory.ini" -f "$N" -m command -a 'date +%s.%N'
  fi

  if [[ ",$CASES," == *",five,"* ]]; then
    say "-- N=$N, five commands per host"
    if [ "$FLOTILLA_OK" = 1 ] && [ "$FLOTILLA_MULTI" = 1 ]; then
      cmds=(); for c in "${FIVE[@]}"; do cmds+=(--command "$c"); done
      wanted flotilla && measure flotilla "flotilla run, 5 x --command" five -- "$FLOTILLA" run "${FLOTILLA_ARGS[@]}" "${cmds[@]}"
    elif [ "$FLOTILLA_OK" = 1 ]; then
      skip flotilla "flotilla run, 5 x --command" five "this flotilla run has no repeatable --command option"
    else
      skip flotilla "flotilla run, 5 x --command" five "$FLOTILLA_NOTE"
    fi
    wanted openssh && measure openssh "OpenSSH xargs, 5 connections" five -- \
      xargs -a "$FLEET/ports.txt" -P "$N" -I{} "$LIB/ssh5.sh" separate {}
    wanted openssh-mux && measure openssh-mux "OpenSSH xargs, ControlMaster" five -- \
      xargs -a "$FLEET/ports.txt" -P "$N" -I{} "$LIB/ssh5.sh" mux {}
    wanted pssh && measure pssh "parallel-ssh, 5 x run_command" five -- "$PY" "$LIB/pssh_run.py" "$FLEET" "$N" "${FIVE[@]}"
    wanted pyinfra && measure pyinfra "pyinfra deploy, 5 x server.shell" five -- \
      "$VENV/bin/pyinfra" "$FLEET/inventory.py" "$LIB/five_deploy.py" -y --parallel "$N" -vvv
    wanted ansible && measure ansible "Ansible playbook, 5 tasks" five -- \
      env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" ANSIBLE_STDOUT_CALLBACK=minimal "$VENV/bin/ansible-playbook" -i "$FLEET/inventory.ini" -f "$N" "$LIB/five.yml"
    wanted ansible-pipelining && measure ansible-pipelining "Ansible playbook, pipelining" five -- \
      env ANSIBLE_SSH_EXTRA_ARGS="$ANSIBLE_KH" ANSIBLE_STDOUT_CALLBACK=minimal ANSIBLE_PIPELINING=True "$VENV/bin/ansible-playbook" -i "$FLEET/inventory.ini" -f "$N" "$LIB/five.yml"
  fi

  settle
  "$FLEET_SH" stop "$FLEET" >&2
  FLEET=
done

"$PY" "$LIB/bench.py" report "$RESULTS/results.jsonl" | tee "$RESULTS/report.txt"
echo
echo "versions and machine: $RESULTS/versions.txt; every output: $RESULTS/"
