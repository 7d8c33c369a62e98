#!/bin/sh
# ssh5.sh MODE PORT: the five benchmark commands on root@127.0.0.1:PORT with the OpenSSH client.
#   MODE=separate  one ssh (one connection, one key exchange) per command, as a plain loop does;
#   MODE=mux       one ControlMaster connection per host, the five commands multiplexed over it, then closed.
# Client options come from BENCH_SSH_OPTS (set by run.sh); the ControlMaster socket goes to BENCH_MUX_DIR.
set -u
mode=$1 port=$2
# shellcheck disable=SC2086
set -- $BENCH_SSH_OPTS
fail=0
if [ "$mode" = mux ]; then
  sock="$BENCH_MUX_DIR/$port"
  ssh "$@" -o ControlMaster=yes -o ControlPath="$sock" -o ControlPersist=yes -f -N -p "$port" root@127.0.0.1 || exit 1
  set -- "$@" -o ControlMaster=no -o ControlPath="$sock"
fi
for c in 'date +%s.%N' 'uname -r' 'id -u' 'cat /etc/hostname' 'true'; do
  ssh "$@" -p "$port" root@127.0.0.1 "$c" || fail=1
done
if [ "$mode" = mux ]; then ssh "$@" -O exit -p "$port" root@127.0.0.1 2>/dev/null || fail=1; fi
exit $fail
