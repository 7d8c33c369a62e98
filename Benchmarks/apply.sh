#!/usr/bin/env bash
# Issue 6's benchmark: `flotilla apply` against Ansible and against the floor, doing the job of Playbooks/chrony.yml
# (purge ntp, install, configure, unmask and start chrony, mask timesyncd, pin the old daemons out, wait for sync)
# on real lab hosts (`flotilla lab`, systemd-nspawn Debian containers). Not a test; nothing here runs in CI. Root:
#
#   Benchmarks/apply.sh [N...]          (default: 6 30)
#
# For each N, each run (BENCH_REPEAT, default 1) and each contender, in this order (interleaved, so that a change in
# the machine's load hits every contender alike):
#   1. a FRESH lab: `flotilla lab down`, `flotilla lab up --hosts N --mix MIX` (the same mix for all), every host's
#      systemd finished booting, then (bench.py quiet) a second in which the machine is less than 25 % busy;
#   2. the contender, timed (GNU time + treemon: wall, CPU and peak memory of its whole process tree), inside the
#      lab's network namespace (`ip netns exec flotilla-vpc`), at parallelism N:
#        floor     Benchmarks/lib/chrony-floor.sh: one POSIX sh script per host over plain OpenSSH (`ssh HOST sh -s`),
#                  all hosts at once (background jobs + wait), ending with `chronyc waitsync 60 0.1 0 1`
#        ansible   ansible-playbook -f N Benchmarks/lib/chrony-apply.yml (ANSIBLE_CONFIG=lib/ansible-apply.cfg:
#                  pipelining, ControlMaster/ControlPersist), the same waitsync at the end
#        flotilla  flotilla apply -i INVENTORY Playbooks/chrony.yml --serial 100% --forks N --yes (its journal in
#                  the results directory through FLOTILLA_DB), sync gate included
#   3. an independent check of every host over ssh (Benchmarks/lib/chrony-verify.sh): chrony installed, enabled and
#      active, synchronised to 169.254.169.123 (its first source line too), ntp/ntpsec/openntpd gone,
#      systemd-timesyncd masked or absent, the apt pin in place. A run counts only when the tool exited 0 and every
#      host converged.
# Then `flotilla lab down`, and the table (bench.py apply-report): median wall, overhead = wall - floor's wall, CPU,
# peak memory, and Flotilla's overhead against Ansible's (target: at most a tenth).
#
# Environment (besides those of run.sh: FLOTILLA, BENCH_DIR, BENCH_VENV, BENCH_NO_BUILD, BENCH_QUIET_*):
#   BENCH_REPEAT   runs per contender and N (default 1); the table shows the median of the correct runs
#   BENCH_ONLY     comma-separated contenders (default floor,ansible,flotilla)
#   BENCH_MIX      the lab's --mix (default ntp,timesyncd,chrony-masked,chrony-dead: every starting state)
#   BENCH_KEEP_LAB 1: leave the last lab up (default: down at the end, and on any exit)
#   BENCH_GATE     waitsync (default): the floor and Ansible end with `chronyc waitsync 60 0.1 0 1`, the sync gate
#                  as Playbooks/chrony.yml states it; bound: they also wait for what Flotilla's gate checks after
#                  waitsync (source, |offset| <= 0.05 s, chrony's error bound <= 1 s), for a like-for-like gate
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
LIB=$HERE/lib
ME=apply.sh
# shellcheck source=lib/common.sh
. "$LIB/common.sh"

NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(6 30)
MIX=${BENCH_MIX:-ntp,timesyncd,chrony-masked,chrony-dead}
GATE=${BENCH_GATE:-waitsync}
case "$GATE" in
  waitsync) ANSIBLE_GATE=() ;;
  bound) ANSIBLE_GATE=(-e '{"sync_gate": {"tries": 60, "interval": 1, "max_correction": 0.1, "max_offset": 0.05, "max_error_bound": 1.0}}') ;;
  *) die "BENCH_GATE must be waitsync or bound, got '$GATE'" ;;
esac
export FLOOR_GATE=$GATE
GATE_NOTE=""; [ "$GATE" = bound ] && GATE_NOTE=", Flotilla's gate"
PLAYBOOK=$ROOT/Playbooks/chrony.yml
LABDIR=${FLOTILLA_LAB_DIR:-/var/lib/flotilla}/lab
INV=$LABDIR/inventory.yml
KEY=$LABDIR/id_ed25519
KH=$LABDIR/known_hosts
NETNS=(ip netns exec flotilla-vpc)
SSH=(ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$KEY" -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes -o ConnectTimeout=10)

require_root
for n in "${NS[@]}"; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "N must be 1 to 200 (lab hosts), got '$n'"; done
RESULTS=${RESULTS:-$BENCH_DIR/apply-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$RESULTS"
install_tools
find_flotilla apply --forks
[ "$FLOTILLA_OK" = 1 ] || die "Flotilla is needed for the lab itself: $FLOTILLA_NOTE"
command -v ip >/dev/null || die "ip (iproute2) is missing"
write_versions
{
  echo "lab image: $(tr -d '\n ' < "${FLOTILLA_LAB_DIR:-/var/lib/flotilla}/images/bookworm/image.json" 2>/dev/null || echo 'not built yet (lab up builds it)')"
  echo "lab mix: $MIX"
  echo "gate of the floor and Ansible: $GATE"
  echo "ansible config: $LIB/ansible-apply.cfg"
} >> "$RESULTS/versions.txt"
raise_nofile

lab() { "$FLOTILLA" lab "$@"; }

# Every lab host is a booted systemd (PID 1, journald, logind, ...) running as root of the machine's user namespace,
# about 12 inotify instances per host, all counted against root's fs.inotify.max_user_instances (Debian: 128). A
# lab of 30 hosts then fails to boot some hosts (their systemd logs "Failed to create inotify object: Too many open
# files" and never starts sshd; `lab up` gives up after 120 s). Raised for the benchmark, put back at the end.
INOTIFY_FILE=/proc/sys/fs/inotify/max_user_instances
INOTIFY_WAS=$(cat "$INOTIFY_FILE")
raise_inotify() {
  local max=0 n need
  for n in "${NS[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
  need=$((16 * max + 256))
  if [ "$INOTIFY_WAS" -lt "$need" ]; then
    say "$ME: fs.inotify.max_user_instances $INOTIFY_WAS -> $need for a lab of $max hosts (put back at the end)"
    echo "$need" > "$INOTIFY_FILE" || die "cannot raise fs.inotify.max_user_instances"
    echo "fs.inotify.max_user_instances: $INOTIFY_WAS, raised to $need for the runs" >> "$RESULTS/versions.txt"
  fi
}
cleanup() {
  [ "${BENCH_KEEP_LAB:-0}" = 1 ] || lab down >/dev/null 2>&1
  [ "$(cat "$INOTIFY_FILE")" = "$INOTIFY_WAS" ] || { [ "${BENCH_KEEP_LAB:-0}" = 1 ] || echo "$INOTIFY_WAS" > "$INOTIFY_FILE"; }
}
trap cleanup EXIT
trap 'exit 130' INT TERM
raise_inotify

# The lab's hosts as "NAME ADDRESS" lines (every host's name and ansible_host in the inventory), sorted by name.
lab_hosts() {
  "$PY" - "$INV" <<'EOF'
import sys, yaml
hosts = {}
def walk(group):
    for name, vars_ in ((group or {}).get("hosts") or {}).items():
        if vars_ and vars_.get("ansible_host"):
            hosts[name] = vars_["ansible_host"]
    for child in ((group or {}).get("children") or {}).values():
        walk(child)
walk(yaml.safe_load(open(sys.argv[1]))["all"])
for name in sorted(hosts):
    print(name, hosts[name])
EOF
}

# PREPARE: a fresh lab of N hosts, every host done booting. $1: the run's file prefix.
fresh_lab() {
  local base=$1 t0
  t0=$(date +%s.%N)
  lab down > "$base.lab" 2>&1 || { cat "$base.lab" >&2; return 1; }
  lab up --hosts "$N" --mix "$MIX" >> "$base.lab" 2>&1 || { tail -20 "$base.lab" >&2; return 1; }
  lab_hosts > "$base.hosts" && [ "$(wc -l < "$base.hosts")" -eq "$N" ] || { say "$ME: cannot read $N hosts from $INV"; return 1; }
  # `lab up` returns when every sshd answers; the rest of each host's boot must not overlap the timed run.
  local name addr pids=()
  while read -r name addr; do
    { "${NETNS[@]}" "${SSH[@]}" "root@$addr" 'systemctl is-system-running --wait' < /dev/null 2>/dev/null | tail -1
      [ "${PIPESTATUS[0]}" -le 1 ] || echo "unknown"; } > "$base.boot-$name" &
    pids+=($!)
  done < "$base.hosts"
  wait "${pids[@]}"
  cat "$base".boot-* > "$base.boot" && rm -f "$base".boot-*
  printf '    fresh lab of %s hosts (%s) in %.1f s; boot states: %s\n' "$N" "$MIX" "$(echo "$(date +%s.%N) - $t0" | bc)" \
    "$(sort "$base.boot" | uniq -c | awk '{ printf "%s%s x%s", (NR == 1 ? "" : ", "), $2, $1 }')" >&2
}

# VERIFY: every host checked over ssh, in parallel; prints "NAME converged" or "NAME NOT CONVERGED: why" (the
# check's last line; ssh's own messages, such as a login banner, only when the check printed nothing).
verify_lab() {
  local base=$1 name addr
  while read -r name addr; do
    (
      err=$(mktemp)
      said=$("${NETNS[@]}" "${SSH[@]}" "root@$addr" sh -s < "$LIB/chrony-verify.sh" 2> "$err" | tail -1)
      [ -n "$said" ] || said="NOT CONVERGED: no answer from the check: $(tr '\n' ' ' < "$err")"
      rm -f "$err"
      printf '%s %s\n' "$name" "$said"
    ) &
  done < "$base.hosts"
  wait
}

ansible_lab_env() {
  export ANSIBLE_CONFIG=$LIB/ansible-apply.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False
  export ANSIBLE_SSH_CONTROL_PATH_DIR=$RESULTS/acp ANSIBLE_LOCAL_TEMP=$RESULTS/ansible-tmp
  export ANSIBLE_SSH_EXTRA_ARGS="-o UserKnownHostsFile=$KH -o StrictHostKeyChecking=yes"
}

REPEAT_N=$REPEAT
for N in "${NS[@]}"; do
  FLEET=$RESULTS/n$N   # no sshd fleet here: settle and the sshd log marks find nothing, as they should
  mkdir -p "$FLEET"
  ansible_lab_env
  for ((r = 1; r <= REPEAT_N; r++)); do
    say "== N=$N, run $r of $REPEAT_N"
    export MEASURE_RUN=$r PREPARE=fresh_lab VERIFY=verify_lab OK_KIND=verify
    # measure's file prefix for this run is $RESULTS/n$N-apply-ID-$r: fresh_lab writes PREFIX.hosts before the run.
    base=$RESULTS/n$N-apply-floor-$r
    wanted floor && measure floor "floor: sh per host over ssh$GATE_NOTE" apply -- \
      "${NETNS[@]}" "$LIB/chrony-floor.sh" "$base.hosts" "$KEY" "$KH" "$base.floor"
    wanted ansible && measure ansible "Ansible playbook$GATE_NOTE" apply -- \
      "${NETNS[@]}" "$VENV/bin/ansible-playbook" -i "$INV" -f "$N" "${ANSIBLE_GATE[@]}" "$LIB/chrony-apply.yml"
    wanted flotilla && measure flotilla "flotilla apply" apply -- \
      "${NETNS[@]}" env FLOTILLA_DB="$RESULTS/n$N-apply-flotilla-$r.sqlite" \
      "$FLOTILLA" apply -i "$INV" "$PLAYBOOK" --serial 100% --forks "$N" --yes
    unset MEASURE_RUN PREPARE VERIFY OK_KIND
  done
done

lab down >/dev/null 2>&1
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/versions.txt"
"$PY" "$LIB/bench.py" apply-report "$RESULTS/results.jsonl" | tee "$RESULTS/report.txt"
{ echo; echo "Where the time went (seconds after the contender started; gate = chrony started -> sync gate passed):"
  "$PY" "$LIB/bench.py" apply-timeline "$RESULTS"; } | tee -a "$RESULTS/report.txt"
echo
echo "versions and machine: $RESULTS/versions.txt; every output: $RESULTS/"
