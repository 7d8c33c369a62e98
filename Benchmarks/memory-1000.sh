#!/usr/bin/env bash
# Flotilla's peak memory with 1000 SSH sessions open at once (issue 2's target: under 100 MB). Not a test; run as root:
#
#   Benchmarks/memory-1000.sh [SESSIONS] [SERVERS]        (defaults: 1000 sessions over 10 sshd servers)
#
# Starts SERVERS OpenSSH servers (Benchmarks/sshd-fleet.sh), writes an inventory of SESSIONS hosts spread over their
# ports, and runs `flotilla run --forks SESSIONS -c 'sleep 2; date +%s.%N'`: every session stays open for two
# seconds, so all of them are open together. Measures Flotilla's wall time, CPU and peak RSS (GNU time) and the
# servers' peak number of concurrent connections (to prove the sessions really overlapped), checks that every host
# printed its timestamp, and stops the servers.
# Environment: FLOTILLA (default .build/release/flotilla), BENCH_DIR (default /tmp/flotilla-bench), BENCH_VENV
# (only for the Python of the measuring helpers; falls back to python3), HOLD (seconds each session stays open, 2).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib
SESSIONS=${1:-1000}
SERVERS=${2:-10}
HOLD=${HOLD:-2}
FLOTILLA=${FLOTILLA:-$ROOT/.build/release/flotilla}
BENCH_DIR=${BENCH_DIR:-/tmp/flotilla-bench}
FLEET=$BENCH_DIR/mem$SERVERS
RESULTS=$BENCH_DIR/memory-$(date -u +%Y%m%dT%H%M%SZ)
PY=${BENCH_VENV:-$HERE/.venv}/bin/python
[ -x "$PY" ] || PY=python3

say() { printf '%s\n' "$*" >&2; }
die() { say "memory-1000.sh: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"
[[ "$SESSIONS" =~ ^[0-9]+$ && "$SERVERS" =~ ^[0-9]+$ && "$SERVERS" -ge 1 ]] || die "usage: $0 [SESSIONS] [SERVERS]"
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null || die "cannot install GNU time"
[ -x "$FLOTILLA" ] || die "Flotilla is not built ($FLOTILLA missing): swift build -c release"
"$FLOTILLA" run --help 2>&1 | grep -q -- '--forks' || die "this flotilla has no 'run' subcommand with --forks yet"
mkdir -p "$RESULTS"
ulimit -Hn 65536 2>/dev/null; ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
say "memory-1000.sh: open files limit $(ulimit -n)"

SAMPLER=
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  "$HERE/sshd-fleet.sh" stop "$FLEET" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$HERE/sshd-fleet.sh" start "$SERVERS" "$FLEET" >&2 || die "the fleet did not start"

# SESSIONS inventory entries, round-robin over the servers' ports; the known_hosts file covers every port.
mapfile -t PORTS < "$FLEET/ports.txt"
INV=$FLEET/inventory-$SESSIONS.ini
{
  echo "[mem]"
  for ((i = 0; i < SESSIONS; i++)); do
    printf 'm%04d ansible_host=127.0.0.1 ansible_port=%s\n' "$((i + 1))" "${PORTS[i % SERVERS]}"
  done
  echo
  echo "[mem:vars]"
  echo "ansible_user=root"
  echo "ansible_ssh_private_key_file=$FLEET/id_ed25519"
  echo "flotilla_known_hosts_file=$FLEET/known_hosts"
} > "$INV"
KH=()
"$FLOTILLA" run --help 2>&1 | grep -q -- '--known-hosts' && KH=(--known-hosts "$FLEET/known_hosts")

# The command: with -c/--command when this flotilla has it (one shell string per -c), else after `--` (probed on one
# host: Flotilla may join the words after -- into one shell string, or quote each).
PROBE_T0=$(date +%s.%N)
one_timestamp() { [ "$("$PY" "$LIB/bench.py" count "$1" "$PROBE_T0" "$(date +%s.%N)" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["timestamps"])')" = 1 ]; }
FORM=
if "$FLOTILLA" run --help 2>&1 | grep -q -- '--command'; then
  FORM=-c; CMD=(-c "sleep $HOLD; date +%s.%N")
elif "$FLOTILLA" run -i "$INV" --limit m0001 "${KH[@]}" -- "sleep 0; date +%s.%N" > "$RESULTS/probe1.out" 2>&1 && one_timestamp "$RESULTS/probe1.out"; then
  FORM=string; CMD=(-- "sleep $HOLD; date +%s.%N")
elif "$FLOTILLA" run -i "$INV" --limit m0001 "${KH[@]}" -- sh -c 'sleep 0; date +%s.%N' > "$RESULTS/probe2.out" 2>&1 && one_timestamp "$RESULTS/probe2.out"; then
  FORM=argv; CMD=(-- sh -c "sleep $HOLD; date +%s.%N")
else
  die "flotilla run on one host printed no timestamp; see $RESULTS/probe1.out and probe2.out"
fi
say "memory-1000.sh: command form: $FORM"

# Sample the servers' concurrent connections (children of the listeners) every 0.1 s in the background.
LISTENERS=$(cat "$FLEET"/sshd_*.pid | paste -sd, -)
( max=0; while :; do c=$(ps -o pid= --ppid "$LISTENERS" 2>/dev/null | wc -l); [ "$c" -gt "$max" ] && { max=$c; echo "$max" > "$RESULTS/peak-connections"; }; sleep 0.1; done ) &
SAMPLER=$!

say "memory-1000.sh: flotilla run --forks $SESSIONS on $SESSIONS hosts ($SERVERS servers), each session open ${HOLD}s"
"$PY" "$LIB/bench.py" mark "$FLEET" > "$RESULTS/marks.json"
T0=$(date +%s.%N)
"$PY" "$LIB/treemon.py" --json "$RESULTS/flotilla.mon" -- /usr/bin/time -o "$RESULTS/flotilla.time" -f '%e %U %S %M' \
  "$FLOTILLA" run -i "$INV" --forks "$SESSIONS" "${KH[@]}" "${CMD[@]}" > "$RESULTS/flotilla.out" 2> "$RESULTS/flotilla.err" < /dev/null
RC=$?
T1=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=
# Wait for the servers to reap their per-connection processes, then read what they spent.
for _ in $(seq 100); do [ -z "$(ps -o pid= --ppid "$LISTENERS" 2>/dev/null)" ] && break; sleep 0.1; done
SERVER=$("$PY" "$LIB/bench.py" logs "$FLEET" "$RESULTS/marks.json")

read -r WALL USR SYS MAXRSS < <(tail -1 "$RESULTS/flotilla.time")
OK=$("$PY" "$LIB/bench.py" count "$RESULTS/flotilla.out,$RESULTS/flotilla.err" "$T0" "$T1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["timestamps"])')
PEAKCONN=$(cat "$RESULTS/peak-connections" 2>/dev/null || echo 0)
STATUS=ok; { [ "$RC" -eq 0 ] && [ "$OK" -eq "$SESSIONS" ]; } || STATUS=FAILED
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
  echo "flotilla: $("$FLOTILLA" --version 2>&1 | head -1) (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null))"
  echo "command: flotilla run -i $INV --forks $SESSIONS ${KH[*]} ${CMD[0]} '${CMD[*]:1}'"
  echo "status: $STATUS (exit $RC, $OK/$SESSIONS hosts printed their timestamp)"
  echo "wall: $WALL s; CPU: $(awk -v u="$USR" -v s="$SYS" 'BEGIN{printf "%.2f", u + s}') s (user $USR, sys $SYS)"
  echo "peak RSS (GNU time %M): $((MAXRSS / 1024)) MB ($MAXRSS KiB); target < 100 MB"
  echo "peak PSS (treemon): $("$PY" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["peak_tree_pss_kb"] / 1024))' "$RESULTS/flotilla.mon") MB"
  echo "servers' peak concurrent connections: $PEAKCONN of $SESSIONS"
  echo "servers: $("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print("%d logins, %.1f s of sshd CPU, %.1f s of the machine busy during the run" % (d["accepted"], d["server_cpu_s"], d["busy_s"]))' "$SERVER")"
} | tee "$RESULTS/summary.txt"
[ "$STATUS" = ok ]
