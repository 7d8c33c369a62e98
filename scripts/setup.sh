#!/usr/bin/env bash
# Debian packages Flotilla and its tests need. Idempotent; needs root.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then echo "setup.sh: run as root (apt-get, network namespaces and containers need it)" >&2; exit 1; fi
# python3-venv: ansible-oracle.sh makes the real ansible-core the tests compare with.
# gcc, make, libc6-dev, dpkg-dev, libssl-dev, zlib1g-dev, patch: libssh2.sh builds a patched libssh2 1.11 (docs/architecture.md).
# libpcre2-dev: BoundedRegex (--limit ~regex, playbook regexp) is PCRE2 with match limits.
pkgs=(libssh2-1-dev libpcre2-dev pkg-config gcc make libc6-dev dpkg-dev libssl-dev zlib1g-dev patch openssh-server openssh-client sudo openssl debootstrap systemd-container iproute2 sqlite3 procps util-linux debian-archive-keyring python3-venv)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # Keep package scripts from starting daemons (sshd on port 22) on this machine.
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy = 1 ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $had_policy = 1 ] || rm -f /usr/sbin/policy-rc.d
fi
"$(dirname "$0")/libssh2.sh"
"$(dirname "$0")/ansible-oracle.sh"
