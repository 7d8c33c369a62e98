#!/usr/bin/env bash
# Hosts behind one bastion (ProxyJump): Flotilla against OpenSSH (xargs -P, one ssh per host, each with its own
# ProxyJump login to the bastion), OpenSSH with a ControlMaster on the bastion (its jumps multiplexed over one
# master connection started beforehand), and Ansible (ad-hoc raw, same ssh_config). Not a test; nothing here runs
# in CI. Run as root:
#
#   Benchmarks/bastion.sh [N]          (default 200)
#
# Starts N+1 real sshd servers on loopback (Benchmarks/sshd-fleet.sh): server 1 is the bastion, the others are
# reachable in the ssh_config only through it (every host block has ProxyJump bastion). Each tool runs
# `date +%s.%N` on every host at parallelism N. For each run: wall, client CPU (user+sys of the tool and its
# children, GNU time), the hosts that answered, and the bastion logins it cost (from the bastion's log). Then
# Flotilla once more on the same hosts without the bastion (a direct ssh_config), for client CPU per host behind
# a bastion against the direct case.
#
# Environment: FLOTILLA (default .build-rel/release/flotilla, else .build/release/flotilla), BENCH_DIR
# (/tmp/flotilla-bench), BENCH_REPEAT (3: the table shows medians), BENCH_ANSIBLE (1: include Ansible; it needs
# the virtualenv Benchmarks/run.sh creates from PyPI).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib
ME=bastion.sh
# shellcheck source=lib/common.sh
. "$LIB/common.sh"

N=${1:-200}
REPEAT=${BENCH_REPEAT:-3}
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || die "N must be a positive number, got '$N'"
require_root
if [ -z "${FLOTILLA_SET:-}" ] && [ "$FLOTILLA" = "$ROOT/.build/release/flotilla" ] && [ -x "$ROOT/.build-rel/release/flotilla" ]; then
  FLOTILLA=$ROOT/.build-rel/release/flotilla
fi
[ -x "$FLOTILLA" ] || die "no flotilla binary at $FLOTILLA (swift build -c release --product flotilla)"
[ -x /usr/bin/time ] || die "GNU time is missing (apt-get install time)"
ANSIBLE=${BENCH_ANSIBLE:-1}
if [ "$ANSIBLE" = 1 ]; then install_tools; fi
raise_nofile

FLEET=$BENCH_DIR/bastion$N
RESULTS=$BENCH_DIR/bastion-results-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS"
cleanup() {
  [ -n "${MASTER_CFG:-}" ] && ssh -F "$MASTER_CFG" -O exit bastion >/dev/null 2>&1
  "$FLEET_SH" stop "$FLEET" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "== starting $((N + 1)) sshd servers in $FLEET (server 1 is the bastion)"
FLEET_LOGLEVEL=VERBOSE FLEET_PROBE_LOGLEVEL=VERBOSE "$FLEET_SH" start $((N + 1)) "$FLEET" >&2 || die "the fleet did not start"
mapfile -t PORTS < "$FLEET/ports.txt"
BASTION_PORT=${PORTS[0]}
BASTION_LOG=$FLEET/sshd_1.log

# One ssh_config for every tool: the bastion, then a block per host with ProxyJump. known_hosts lists every
# server as [127.0.0.1]:PORT; HostKeyAlias is not needed because HostName/Port are what ssh checks.
write_config() { # FILE JUMP(yes|no) [extra bastion lines]
  local file=$1 jump=$2 extra=${3:-} i
  {
    echo "Host bastion"
    echo "  HostName 127.0.0.1"
    echo "  Port $BASTION_PORT"
    [ -n "$extra" ] && printf '%s\n' "$extra"
    for ((i = 1; i <= N; i++)); do
      echo "Host h$i"
      echo "  HostName 127.0.0.1"
      echo "  Port ${PORTS[$i]}"
      [ "$jump" = yes ] && echo "  ProxyJump bastion"
    done
    echo "Host *"
    echo "  User root"
    echo "  IdentityFile $FLEET/id_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  UserKnownHostsFile $FLEET/known_hosts"
    echo "  StrictHostKeyChecking yes"
    echo "  BatchMode yes"
  } > "$file"
}
write_config "$RESULTS/ssh_config" yes
write_config "$RESULTS/ssh_config_direct" no
MASTER_CFG=$RESULTS/ssh_config_mux
write_config "$MASTER_CFG" yes "  ControlMaster auto
  ControlPath $FLEET/mux-%C
  ControlPersist 600"
{ echo "[fleet]"; for ((i = 1; i <= N; i++)); do echo "h$i"; done; } > "$RESULTS/inventory.ini"
seq 1 "$N" | sed 's/^/h/' > "$RESULTS/hosts.txt"

bastion_logins() { grep -c "Accepted publickey" "$BASTION_LOG" 2>/dev/null || echo 0; }

# run ID COMMAND...: one timed run; appends "id wall cpu ok logins" to $RESULTS/runs.txt.
run() {
  local id=$1; shift
  local out=$RESULTS/$id.$RUN.out before after ok
  before=$(bastion_logins)
  /usr/bin/time -f '%e %U %S' -o "$RESULTS/$id.$RUN.time" "$@" > "$out" 2>&1
  after=$(bastion_logins)
  ok=$(grep -cE '^[0-9]{10}\.[0-9]+$|^  [0-9]{10}\.[0-9]+$' "$out")
  local wall user sys cpu
  read -r wall user sys < <(tail -n 1 "$RESULTS/$id.$RUN.time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  echo "$id $wall $cpu $ok $((after - before))" >> "$RESULTS/runs.txt"
  say "$id run $RUN: wall ${wall}s cpu ${cpu}s, $ok/$N answered, $((after - before)) bastion logins"
}

openssh() { # CONFIG
  xargs -P "$N" -I{} sh -c "ssh -F $1 {} 'date +%s.%N' 2>/dev/null" < "$RESULTS/hosts.txt"
}

ansible_adhoc() {
  ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_SSH_ARGS="-F $RESULTS/ssh_config" ANSIBLE_FORKS=$N \
    "$VENV/bin/ansible" all -i "$RESULTS/inventory.ini" -m raw -a 'date +%s.%N' -o 2>&1 |
    sed -n 's/.*(stdout) \([0-9.]*\).*/\1/p'
}

# GNU time runs programs, not shell functions: the two functions run in a bash of their own.
export N RESULTS VENV
export -f openssh ansible_adhoc

# The ControlMaster variant gets its master started (and its one bastion login made) before the timed runs.
ssh -F "$MASTER_CFG" -fN bastion || die "the ControlMaster to the bastion did not start"

for ((RUN = 1; RUN <= REPEAT; RUN++)); do
  run flotilla "$FLOTILLA" run -i "$RESULTS/inventory.ini" -F "$RESULTS/ssh_config" --forks "$N" -- 'date +%s.%N'
  run openssh bash -c 'openssh "$1"' bash "$RESULTS/ssh_config"
  run openssh-mux bash -c 'openssh "$1"' bash "$MASTER_CFG"
  [ "$ANSIBLE" = 1 ] && run ansible bash -c ansible_adhoc
  run flotilla-direct "$FLOTILLA" run -i "$RESULTS/inventory.ini" -F "$RESULTS/ssh_config_direct" --forks "$N" -- 'date +%s.%N'
done

# Medians per tool.
{
  printf '%-16s %9s %9s %9s %9s %14s\n' tool "wall s" "cpu s" "cpu/host" answered "bastion logins"
  for id in flotilla openssh openssh-mux ansible flotilla-direct; do
    grep -q "^$id " "$RESULTS/runs.txt" || continue
    awk -v id="$id" -v n="$N" '$1 == id { w[++k] = $2; c[k] = $3; o[k] = $4; l[k] = $5 }
      function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((k + 1) / 2)] }
      END { printf "%-16s %9.2f %9.2f %9.4f %6d/%-3d %14d\n", id, med(w, k), med(c, k), med(c, k) / n, med(o, k), n, med(l, k) }' "$RESULTS/runs.txt"
  done
} | tee "$RESULTS/table.txt"
awk '$1 == "flotilla" { f[++a] = $3 } $1 == "flotilla-direct" { d[++b] = $3 }
  END { s = 0; for (i = 1; i <= a && i <= b; i++) { r[i] = f[i] / d[i] }
        for (i = 1; i <= a; i++) for (j = i + 1; j <= a; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
        printf "client CPU behind the bastion / direct (median of pairs): %.2f\n", r[int((a + 1) / 2)] }' "$RESULTS/runs.txt" | tee -a "$RESULTS/table.txt"
say "results: $RESULTS"
