#!/bin/sh
# Issue 6's floor: the job of Playbooks/chrony.yml as ONE POSIX shell script per host, sent over plain OpenSSH to
# every host at once, each ending with the same `chronyc waitsync` as the playbook's sync gate. What is left of a
# rollout's wall time when the orchestrator costs nothing: the hosts' own work (dpkg, systemd, chrony's first
# samples) plus one SSH connection each.
#
#   chrony-floor.sh HOSTS_FILE KEY KNOWN_HOSTS [LOG_DIR]
#
# HOSTS_FILE holds one "NAME ADDRESS" per line (Benchmarks/apply.sh writes it from the lab's inventory). Prints
# "NAME: exit STATUS" per host (the script's own output goes to LOG_DIR/NAME.log, by default next to the hosts
# file); exits 0 when every host's script exited 0. Run it where the hosts are reachable (the lab: `ip netns exec flotilla-vpc`).
#
# When run with "--host" it is the per-host part (what ssh feeds to `sh -s`); the controller never runs that part.
# FLOOR_GATE=bound (for Benchmarks/apply.sh's BENCH_GATE=bound) makes each host wait, after waitsync, for what
# Flotilla's sync gate checks as well (see the end of the host part).
set -u

# ---- on the host: the whole part is one function, so that sh has read all of it before anything runs (the
# commands in it then get /dev/null as stdin, never the rest of the script) ----
host() {
  gate=${1:-waitsync}
  set -e
  LC_ALL=C; export LC_ALL
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a UCF_FORCE_CONFFOLD=1
  apt() { apt-get -y -q -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }
  # Three timestamps for the analysis of where the time goes (apply.sh's results): start, chrony started, synced.
  echo "floor-time start $(date +%s.%N)"

  # Competing daemons purged (those installed, or removed with their config files left).
  purge=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' ntp ntpsec openntpd 2>/dev/null | awk '$1 ~ /^[ir]/ {print $2}')
  [ -z "$purge" ] || apt purge $purge

  # systemd-timesyncd stopped and masked (a mask needs no unit file). Like every systemctl call below, only when
  # the host needs it: each costs the host a reload of systemd's configuration (enable also runs
  # systemd-sysv-install), and on a machine whose cores the hosts share, wasted host work would flatter the floor's
  # rivals.
  if [ "$(systemctl is-enabled systemd-timesyncd.service 2>/dev/null)" != masked ]; then
    [ "$(systemctl is-active systemd-timesyncd.service 2>/dev/null)" != active ] || systemctl stop systemd-timesyncd.service
    systemctl mask systemd-timesyncd.service
  fi

  # The purged daemons kept out.
  cat > /etc/apt/preferences.d/flotilla-timesync <<'PIN'
# timesync guard: chrony keeps the time; these daemons must not come back.
Package: ntp
Pin: version *
Pin-Priority: -1

Package: ntpsec
Pin: version *
Pin-Priority: -1

Package: openntpd
Pin: version *
Pin-Priority: -1
PIN

  # chrony unmasked and installed.
  [ "$(systemctl is-enabled chrony.service 2>/dev/null)" != masked ] || systemctl unmask chrony.service
  [ "$(dpkg-query -W -f '${db:Status-Abbrev}' chrony 2>/dev/null)" = "ii " ] || apt install chrony

  cat > /etc/chrony/chrony.conf <<'CONF'
# timesync: the AWS Time Sync Service, its server line first.

server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4

makestep 1 3
rtcsync

# Distribution defaults.
keyfile /etc/chrony/chrony.keys
driftfile /var/lib/chrony/chrony.drift
ntsdumpdir /var/lib/chrony
logdir /var/log/chrony
maxupdateskew 100.0
leapsectz right/UTC
CONF

  # No CAP_SYS_TIME (a container): chronyd with -x, and the unit's ConditionCapability cleared.
  capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
  if [ $(( (0x$capbnd >> 25) & 1 )) -eq 0 ]; then
    sed -i 's/^DAEMON_OPTS=.*/DAEMON_OPTS="-F 1 -x"/' /etc/default/chrony
    grep -q '^DAEMON_OPTS=' /etc/default/chrony || echo 'DAEMON_OPTS="-F 1 -x"' >> /etc/default/chrony
    mkdir -p /etc/systemd/system/chrony.service.d
    printf '[Unit]\nConditionCapability=\n' > /etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf
    systemctl daemon-reload
  fi

  [ "$(systemctl is-enabled chrony.service 2>/dev/null)" = enabled ] || systemctl enable chrony.service
  systemctl restart chrony.service
  echo "floor-time chrony-started $(date +%s.%N)"

  # The sync gate of Playbooks/chrony.yml: 60 tries, 1 s apart, max correction 0.1 s.
  chronyc waitsync 60 0.1 0 1
  echo "floor-time waitsync-passed $(date +%s.%N)"

  # FLOOR_GATE=bound: also what Flotilla's gate checks once waitsync is satisfied (Sources/Engine/
  # DriftSyncWaiter.swift): the selected source is 169.254.169.123, |offset| <= max_offset (0.05 s) and chrony's
  # error bound |offset| + root dispersion + root delay / 2 <= 1 s, checked every second. Right after chrony's
  # first clock update the bound is about 1 s and grows until the next update.
  if [ "$gate" = bound ]; then
    tries=0
    until chronyc -n -c tracking | awk -F, '{ o = $5 < 0 ? -$5 : $5
        exit !($2 == "169.254.169.123" && $14 == "Normal" && o <= 0.05 && o + $12 + $11 / 2 <= 1.0) }'; do
      tries=$((tries + 1))
      [ "$tries" -lt 60 ] || { echo "error bound still above 1 s after 60 tries" >&2; return 1; }
      sleep 1
    done
    chronyc -n -c tracking
    echo "floor-time bound-passed $(date +%s.%N)"
  fi
}

# ---- on the controller ----

controller() {
  hosts=$1 key=$2 known=$3 dir=${4:-$(dirname "$1")}
  mkdir -p "$dir"
  pids="" names=""
  while read -r name addr; do
    [ -n "$name" ] || continue
    ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$key" -o UserKnownHostsFile="$known" \
      -o StrictHostKeyChecking=yes -o ConnectTimeout=10 "root@$addr" sh -s -- --host "${FLOOR_GATE:-waitsync}" < "$0" > "$dir/$name.log" 2>&1 &
    pids="$pids $!" names="$names $name"
  done < "$hosts"
  failed=0
  set -- $names
  for pid in $pids; do
    if wait "$pid"; then echo "$1: exit 0"; else rc=$?; echo "$1: exit $rc"; failed=1; fi
    shift
  done
  exit $failed
}

if [ "${1:-}" = "--host" ]; then host "${2:-waitsync}" < /dev/null; else controller "$@"; fi
