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
FLEET_SH=$HERE/sshd-fleet.sh
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(50 200)
FLOTILLA=${FLOTILLA:-$ROOT/.build/release/flotilla}
BENCH_DIR=${BENCH_DIR:-/tmp/flotilla-bench}
VENV=${BENCH_VENV:-$HERE/.venv}
EXTRAS=${BENCH_EXTRAS:-1}
CASES=${BENCH_CASES:-one,five}
REPEAT=${BENCH_REPEAT:-1}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
QUIET_BELOW=${BENCH_QUIET_BELOW:-0.25}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS:-$BENCH_DIR/results-$STAMP}
FIVE=('date +%s.%N' 'uname -r' 'id -u' 'cat /etc/hostname' 'true')

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (the fleet logs in as root)"
for n in "${NS[@]}"; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "N must be a positive number, got '$n'"; done
mkdir -p "$RESULTS"

# --- tools ---------------------------------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "run.sh: installing GNU time (Debian package 'time')"
  apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; } || die "cannot install GNU time"
fi
if [ ! -x "$VENV/bin/ansible" ] || [ ! -x "$VENV/bin/pyinfra" ] || ! "$VENV/bin/python" -c 'import pssh.clients.native' 2>/dev/null; then
  say "run.sh: creating $VENV with parallel-ssh, pyinfra and ansible-core from PyPI"
  python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$VENV/bin/pip" install -q parallel-ssh pyinfra ansible-core || die "pip install failed"
fi
PY=$VENV/bin/python

FLOTILLA_OK=0 FLOTILLA_MULTI=0 FLOTILLA_KH=0 FLOTILLA_NOTE=""
if [ ! -x "$FLOTILLA" ] && [ "${BENCH_NO_BUILD:-0}" != 1 ] && [ "$FLOTILLA" = "$ROOT/.build/release/flotilla" ]; then
  say "run.sh: building Flotilla (swift build -c release)"
  (cd "$ROOT" && swift build -c release --product flotilla) >&2 || say "run.sh: the release build failed"
fi
if [ ! -x "$FLOTILLA" ]; then
  FLOTILLA_NOTE="not built ($FLOTILLA missing)"
elif ! "$FLOTILLA" run --help > "$RESULTS/flotilla-run-help.txt" 2>&1 || ! grep -q -- '--forks' "$RESULTS/flotilla-run-help.txt"; then
  FLOTILLA_NOTE="not built: this flotilla has no 'run' subcommand with --forks yet"
else
  FLOTILLA_OK=1
  grep -q -- '--command' "$RESULTS/flotilla-run-help.txt" && FLOTILLA_MULTI=1
  grep -q -- '--known-hosts' "$RESULTS/flotilla-run-help.txt" && FLOTILLA_KH=1
fi
[ "$FLOTILLA_OK" = 1 ] || say "run.sh: Flotilla: $FLOTILLA_NOTE -- skipping it"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/{print $2}') GiB, kernel $(uname -r)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "sshd: $(/usr/sbin/sshd -V 2>&1 | head -1)"
  echo "ssh: $(ssh -V 2>&1)"
  echo "python: $("$PY" --version 2>&1)"
  echo "pip: $("$VENV/bin/pip" list 2>/dev/null | grep -iE '^(parallel-ssh|ssh2-python|pyinfra|paramiko|ansible-core|gevent) ' | tr -s ' ' | paste -sd, -)"
  echo "libssh2 in ssh2-python: $(ls "$VENV"/lib/python3*/site-packages/ssh2_python.libs/ 2>/dev/null | grep libssh2 | paste -sd, -)"
  if [ "$FLOTILLA_OK" = 1 ]; then
    echo "flotilla: $("$FLOTILLA" --version 2>&1 | head -1) (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null))"
    echo "flotilla libssh2: $(dpkg-query -W -f '${Version}' libssh2-1 2>/dev/null)"
  else
    echo "flotilla: $FLOTILLA_NOTE"
  fi
} > "$RESULTS/versions.txt"
cat "$RESULTS/versions.txt" >&2
# Many concurrent connections: raise the open-file limit for the tools and the servers.
ulimit -Hn 65536 2>/dev/null; ulimit -Sn "$(ulimit -Hn)" 2>/dev/null

wanted() { # id -> is this tool selected?
  local id=$1
  if [ -n "${BENCH_ONLY:-}" ]; then [[ ",$BENCH_ONLY," == *",$id,"* ]]; return; fi
  case "$id" in openssh-curve25519|ansible-curve25519|ansible-pipelining|openssh-mux) [ "$EXTRAS" = 1 ] ;; *) return 0 ;; esac
}

# Wait until the servers have finished with the previous tool's sessions (their per-connection children exit),
# so that one tool's leftover server work is not billed to the next one's wall time.
settle() {
  local pids i=0
  pids=$(cat "$FLEET"/sshd_*.pid 2>/dev/null | paste -sd, -)
  [ -n "$pids" ] || return 0
  while [ -n "$(ps -o pid= --ppid "$pids" 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
}

# measure ID LABEL CASE -- COMMAND...: run COMMAND under treemon + GNU time, check its output, append a result line.
measure() {
  local id=$1 label=$2 case=$3; shift 4
  local run base rc t0 t1 load busy
  for ((run = 1; run <= REPEAT; run++)); do
    base=$RESULTS/n$N-$case-$id-$run
    settle
    busy=$("$PY" "$LIB/bench.py" quiet "$QUIET_WAIT" "$QUIET_BELOW")
    "$PY" "$LIB/bench.py" mark "$FLEET" > "$base.marks"
    load=$(cut -d' ' -f1 /proc/loadavg)
    printf '%s\n' "$*" > "$base.cmd"
    say "  [$case] $label ..."
    t0=$(date +%s.%N)
    "$PY" "$LIB/treemon.py" --json "$base.mon" -- /usr/bin/time -o "$base.time" -f '%e %U %S %M' "$@" > "$base.out" 2> "$base.err" < /dev/null
    rc=$?
    t1=$(date +%s.%N)
    settle   # the servers' per-connection processes must be reaped before their CPU can be read
    "$PY" "$LIB/bench.py" record id="$id" label="$label" case="$case" n="$N" rc="$rc" t0="$t0" t1="$t1" \
      out="$base.out,$base.err" mon="$base.mon" time="$base.time" fleet="$FLEET" marks="$base.marks" uname="$UNAME" \
      load="$load" busy_before="$busy" date="$(date -u '+%Y-%m-%d %H:%M:%S UTC')" command="$*" >> "$RESULTS/results.jsonl"
    tail -1 "$RESULTS/results.jsonl" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("    %s: wall %.2f s, CPU %.2f s, sshd CPU %.2f s, other %.1f s, peak %.0f MB (PSS), %d/%d ok, kex %s" % (r["status"].upper(), r["wall_s"], r["cpu_s"], r["server_cpu_s"], r["other_cpu_s"], r["peak_tree_pss_kb"]/1024, r["ok"], r["total"], ",".join(r["kex"]) or "?"))' >&2
  done
}

skip() { # ID LABEL CASE NOTE
  wanted "$1" || return 0
  say "  [$3] $2: skipped: $4"
  "$PY" "$LIB/bench.py" record id="$1" label="$2" case="$3" n="$N" skip="$4" >> "$RESULTS/results.jsonl"
}

UNAME=$(uname -r)
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
  # Ansible: keys checked against the fleet's known_hosts; ControlMaster/ControlPersist left at Ansible's defaults
  # (ANSIBLE_SSH_ARGS untouched; the control sockets go to the fleet dir); the interpreter given so that Ansible
  # does not spend a discovery round trip per host.
  export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1
  export ANSIBLE_SSH_CONTROL_PATH_DIR=$FLEET/acp ANSIBLE_LOCAL_TEMP=$FLEET/ansible-tmp ANSIBLE_RETRY_FILES_ENABLED=False
  ANSIBLE_KH="-o UserKnownHostsFile=$FLEET/known_hosts -o StrictHostKeyChecking=yes"
  FLOTILLA_ARGS=(-i "$FLEET/inventory.ini" --forks "$N")
  [ "$FLOTILLA_KH" = 1 ] && FLOTILLA_ARGS+=(--known-hosts "$FLEET/known_hosts")

  # Warm-up (untimed): page cache for every tool's files, one login to the fleet.
  ssh $SSH_OPTS -p "$(head -1 "$FLEET/ports.txt")" root@127.0.0.1 true >/dev/null 2>&1
  "$VENV/bin/ansible" --version >/dev/null 2>&1; "$VENV/bin/pyinfra" --version >/dev/null 2>&1
  "$PY" -c 'import pssh.clients.native, pyinfra.api, ansible.executor.task_queue_manager' >/dev/null 2>&1
  [ "$FLOTILLA_OK" = 1 ] && "$FLOTILLA" --help >/dev/null 2>&1

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
