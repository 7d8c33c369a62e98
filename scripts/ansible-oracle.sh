#!/usr/bin/env bash
# The real Ansible, as the tests' oracle: ansible-core from PyPI in a virtualenv of its own,
# /opt/flotilla/ansible (FLOTILLA_ANSIBLE_VENV replaces it). Tests that compare Flotilla with Ansible
# (ansible-vault today) run its binaries from there and fail, not skip, without them. Idempotent.
set -euo pipefail
VENV=${FLOTILLA_ANSIBLE_VENV:-/opt/flotilla/ansible}
VERSION=2.19.14
exec 9>"/tmp/flotilla-ansible-oracle.lock"
flock 9 # one install at a time when several checkouts run setup.sh at once
if [ -x "$VENV/bin/ansible-vault" ] && "$VENV/bin/python" -c "import ansible.release as r, sys; sys.exit(r.__version__ != '$VERSION')" 2>/dev/null; then
  exit 0
fi
echo "ansible-oracle.sh: installing ansible-core $VERSION into $VENV (the tests' oracle)"
rm -rf "$VENV"
/usr/bin/python3 -m venv "$VENV" # Debian's python3 (python3-venv), whatever else is first on PATH
"$VENV/bin/pip" install -q --disable-pip-version-check "ansible-core==$VERSION" >/dev/null
"$VENV/bin/ansible-vault" --version >/dev/null
