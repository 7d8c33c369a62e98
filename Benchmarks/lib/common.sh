# Shared by Benchmarks/run.sh, Benchmarks/audit.sh and Benchmarks/apply.sh (sourced, not run). The caller sets HERE,
# ROOT, LIB, ME (its name for messages) before sourcing, and N and FLEET before calling measure/skip.
# shellcheck shell=bash

FLOTILLA=${FLOTILLA:-$ROOT/.build/release/flotilla}
BENCH_DIR=${BENCH_DIR:-/tmp/flotilla-bench}
VENV=${BENCH_VENV:-$HERE/.venv}
EXTRAS=${BENCH_EXTRAS:-1}
REPEAT=${BENCH_REPEAT:-1}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
QUIET_BELOW=${BENCH_QUIET_BELOW:-0.25}
FLEET_SH=$HERE/sshd-fleet.sh
PY=$VENV/bin/python
UNAME=$(uname -r)

say() { printf '%s\n' "$*" >&2; }
die() { say "$ME: $*"; exit 1; }

require_root() { [ "$(id -u)" -eq 0 ] || die "run as root (the fleet logs in as root)"; }

# GNU time and the virtualenv with parallel-ssh, pyinfra and ansible-core (from PyPI).
install_tools() {
  if [ ! -x /usr/bin/time ]; then
    say "$ME: installing GNU time (Debian package 'time')"
    apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; } || die "cannot install GNU time"
  fi
  if [ ! -x "$VENV/bin/ansible" ] || [ ! -x "$VENV/bin/pyinfra" ] || ! "$VENV/bin/python" -c 'import pssh.clients.native' 2>/dev/null; then
    say "$ME: creating $VENV with parallel-ssh, pyinfra and ansible-core from PyPI"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q parallel-ssh pyinfra ansible-core || die "pip install failed"
  fi
}

# find_flotilla SUBCOMMAND REQUIRED_FLAG: sets FLOTILLA_OK=1 when $FLOTILLA exists and its SUBCOMMAND --help lists
# REQUIRED_FLAG, otherwise FLOTILLA_NOTE says why not. Builds the release binary first when it is missing (unless
# BENCH_NO_BUILD=1). The subcommand's help is kept in $RESULTS/flotilla-SUBCOMMAND-help.txt.
find_flotilla() {
  local sub=$1 flag=$2 help=$RESULTS/flotilla-$1-help.txt
  FLOTILLA_OK=0 FLOTILLA_NOTE=""
  if [ ! -x "$FLOTILLA" ] && [ "${BENCH_NO_BUILD:-0}" != 1 ] && [ "$FLOTILLA" = "$ROOT/.build/release/flotilla" ]; then
    say "$ME: building Flotilla (swift build -c release --product flotilla)"
    (cd "$ROOT" && swift build -c release --product flotilla) >&2 || say "$ME: the release build failed"
  fi
  if [ ! -x "$FLOTILLA" ]; then
    FLOTILLA_NOTE="not built ($FLOTILLA missing)"
  elif ! "$FLOTILLA" "$sub" --help > "$help" 2>&1 || ! grep -q "^USAGE: flotilla $sub" "$help" || ! grep -q -- "$flag" "$help"; then
    # (an unknown subcommand makes ArgumentParser print the top-level help with status 0: hence the USAGE check)
    FLOTILLA_NOTE="not built: this flotilla has no '$sub' subcommand (with $flag) yet"
  else
    FLOTILLA_OK=1
  fi
  [ "$FLOTILLA_OK" = 1 ] || say "$ME: Flotilla: $FLOTILLA_NOTE -- skipping it"
}

write_versions() {
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
      echo "flotilla libssh2: Debian libssh2-1 $(dpkg-query -W -f '${Version}' libssh2-1 2>/dev/null)"
    else
      echo "flotilla: $FLOTILLA_NOTE"
    fi
  } > "$RESULTS/versions.txt"
  cat "$RESULTS/versions.txt" >&2
}

raise_nofile() { ulimit -Hn 65536 2>/dev/null; ulimit -Sn "$(ulimit -Hn)" 2>/dev/null; }

wanted() { # id -> is this tool selected?
  local id=$1
  if [ -n "${BENCH_ONLY:-}" ]; then [[ ",$BENCH_ONLY," == *",$id,"* ]]; return; fi
  case "$id" in openssh-curve25519|ansible-curve25519|ansible-pipelining|openssh-mux|ansible-playbook) [ "$EXTRAS" = 1 ] ;; *) return 0 ;; esac
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

# Ansible settings shared by every Ansible run: keys checked against the fleet's known_hosts; ControlMaster and
# ControlPersist left at Ansible's defaults (ANSIBLE_SSH_ARGS untouched; the control sockets go to the fleet dir);
# the interpreter given so that Ansible does not spend a discovery round trip per host.
ansible_env() {
  export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1
  export ANSIBLE_SSH_CONTROL_PATH_DIR=$FLEET/acp ANSIBLE_LOCAL_TEMP=$FLEET/ansible-tmp ANSIBLE_RETRY_FILES_ENABLED=False
  ANSIBLE_KH="-o UserKnownHostsFile=$FLEET/known_hosts -o StrictHostKeyChecking=yes"
}

# measure ID LABEL CASE -- COMMAND...: run COMMAND under treemon + GNU time, check its output, append a result line.
# OK_KIND (see bench.py answered) and OK_EXIT (accepted exit statuses, default 0) may be set for one call, and:
#   MEASURE_RUN  run only this run number (the caller repeats; default: runs 1..REPEAT here)
#   PREPARE      a command run (untimed) before each run, e.g. a fresh lab; the run is recorded as failed without
#                running COMMAND when it fails; it is given the run's file prefix as its argument
#   VERIFY       a command run (untimed) after each run, given the run's file prefix; its output goes to
#                PREFIX.verify, which OK_KIND=verify reads ("NAME converged" per host)
measure() {
  local id=$1 label=$2 case=$3; shift 4
  local run base rc t0 t1 load busy first=1 last=$REPEAT
  if [ -n "${MEASURE_RUN:-}" ]; then first=$MEASURE_RUN last=$MEASURE_RUN; fi
  for ((run = first; run <= last; run++)); do
    base=$RESULTS/n$N-$case-$id-$run
    if [ -n "${PREPARE:-}" ] && ! $PREPARE "$base"; then
      say "  [$case] $label: not run: '$PREPARE' failed"
      "$PY" "$LIB/bench.py" record id="$id" label="$label" case="$case" n="$N" skip="preparation failed ($PREPARE)" run="$run" >> "$RESULTS/results.jsonl"
      continue
    fi
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
    if [ -n "${VERIFY:-}" ]; then $VERIFY "$base" > "$base.verify" 2>&1; fi
    "$PY" "$LIB/bench.py" record id="$id" label="$label" case="$case" n="$N" rc="$rc" t0="$t0" t1="$t1" \
      out="$base.out,$base.err" mon="$base.mon" time="$base.time" fleet="$FLEET" marks="$base.marks" uname="$UNAME" \
      ok_kind="${OK_KIND:-}" ok_exit="${OK_EXIT:-0}" verify="$base.verify" run="$run" \
      load="$load" busy_before="$busy" date="$(date -u '+%Y-%m-%d %H:%M:%S UTC')" command="$*" >> "$RESULTS/results.jsonl"
    tail -1 "$RESULTS/results.jsonl" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("    %s: wall %.2f s, CPU %.2f s, sshd CPU %.2f s, other %.1f s, peak %.0f MB (PSS), %d/%d ok, kex %s" % (r["status"].upper(), r["wall_s"], r["cpu_s"], r["server_cpu_s"], r["other_cpu_s"], r["peak_tree_pss_kb"]/1024, r["ok"], r["total"], ",".join(r["kex"]) or "?"))' >&2
  done
}

skip() { # ID LABEL CASE NOTE
  wanted "$1" || return 0
  say "  [$3] $2: skipped: $4"
  "$PY" "$LIB/bench.py" record id="$1" label="$2" case="$3" n="$N" skip="$4" >> "$RESULTS/results.jsonl"
}

# Warm-up (untimed): page cache for every tool's files, and one login to every server, so that whichever tool runs
# first does not meet servers that have never served a connection (its figures differed from a second run's).
warm_up() {
  xargs -a "$FLEET/ports.txt" -P "$(wc -l < "$FLEET/ports.txt")" -I{} ssh -F /dev/null -o BatchMode=yes \
    -o UserKnownHostsFile="$FLEET/known_hosts" -o StrictHostKeyChecking=yes -o KexAlgorithms=curve25519-sha256 \
    -i "$FLEET/id_ed25519" -p {} root@127.0.0.1 true >/dev/null 2>&1
  "$VENV/bin/ansible" --version >/dev/null 2>&1; "$VENV/bin/pyinfra" --version >/dev/null 2>&1
  "$PY" -c 'import pssh.clients.native, pyinfra.api, ansible.executor.task_queue_manager' >/dev/null 2>&1
  [ "$FLOTILLA_OK" = 1 ] && "$FLOTILLA" --help >/dev/null 2>&1
  return 0
}
