#!/usr/bin/env bash
# Benchmarks/vault.sh [N]: the cost of Ansible Vault on a fleet's inventory. N hosts (default 1000), each with a
# distinct vaulted ansible_become_password (PBKDF2's 10,000 rounds per value dominate). Compared, on this machine:
#   flotilla ssh-config   resolves every host's connection (decrypting each value once, off the async pool);
#   the same without vault (plain passwords): the floor, so the difference is the decryption;
#   Ansible's VaultLib    decrypting the same N values in one Python process (what a playbook spends on them);
#   ansible-inventory --list  loading the same inventory (it prints vaulted values without decrypting them).
# Each figure is the median of BENCH_REPEAT (default 3) wall-clock runs. Needs the virtualenv of the other benchmarks.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE"); LIB=$HERE/lib; ME=vault.sh
N=${1:-1000}
RESULTS=${BENCH_RESULTS:-$HERE/results}
# shellcheck source=lib/common.sh
source "$LIB/common.sh"
REPEAT=${BENCH_REPEAT:-3}
mkdir -p "$RESULTS"
install_tools
find_flotilla ssh-config --vault-password-file
[ "$FLOTILLA_OK" = 1 ] || die "$FLOTILLA_NOTE"
DIR=$(mktemp -d /tmp/flotilla-vault-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
printf 'bench-vault-secret\n' > "$DIR/pw"
say "$ME: encrypting $N values with Ansible's VaultLib"
"$PY" - "$N" "$DIR" <<'PY'
import sys
from ansible.parsing.vault import VaultLib, VaultSecret
n, d = int(sys.argv[1]), sys.argv[2]
lib = VaultLib([("default", VaultSecret(b"bench-vault-secret"))])
with open(f"{d}/vaulted.yml", "w") as v, open(f"{d}/plain.yml", "w") as p, open(f"{d}/texts.txt", "w") as t:
    for f in (v, p):
        f.write("all:\n  hosts:\n")
    for i in range(n):
        secret = f"password-{i}"
        text = lib.encrypt(secret).decode()
        t.write(text.replace("\n", " ") + "\n")
        body = "\n".join("          " + line for line in text.splitlines())
        v.write(f"    h{i}:\n      ansible_host: 10.{i // 65536}.{i // 256 % 256}.{i % 256}\n      ansible_become: true\n      ansible_become_password: !vault |\n{body}\n")
        p.write(f"    h{i}:\n      ansible_host: 10.{i // 65536}.{i // 256 % 256}.{i % 256}\n      ansible_become: true\n      ansible_become_password: {secret}\n")
PY
cat > "$DIR/decrypt.py" <<'PY'
import sys
from ansible.parsing.vault import VaultLib, VaultSecret
lib = VaultLib([("default", VaultSecret(b"bench-vault-secret"))])
count = 0
for line in open(sys.argv[1]):
    lib.decrypt(line.strip().replace(" ", "\n")); count += 1
print(count)
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { # wall seconds of one run of "$@", its output to /dev/null
  local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || die "failed: $*"; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
run() { local label=$1; shift; local m; m=$(for _ in $(seq "$REPEAT"); do wall "$@"; done | median); printf '%-58s %8.2f s\n' "$label" "$m" >&2; echo "$m"; }
cd "$DIR"
say "$ME: $N hosts, median of $REPEAT runs each (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
out=$(mktemp)
{
  f=$(run "flotilla ssh-config, $N vaulted become passwords" "$FLOTILLA" ssh-config -i vaulted.yml --vault-password-file pw)
  p=$(run "flotilla ssh-config, the same passwords in plain text" "$FLOTILLA" ssh-config -i plain.yml)
  a=$(run "Ansible VaultLib decrypting the $N values (one process)" "$PY" decrypt.py texts.txt)
  run "ansible-inventory --list (loads; does not decrypt)" "$VENV/bin/ansible-inventory" -i vaulted.yml --list >/dev/null
  printf '\ndecryption cost in Flotilla (vaulted - plain): %.2f s for %d values\n' "$(echo "$f - $p" | bc -l)" "$N"
  printf 'Ansible VaultLib / Flotilla decryption cost: %.1fx\n' "$(echo "$a / ($f - $p)" | bc -l)"
} 2>&1 | tee "$out"
mkdir -p "$RESULTS"
cp "$out" "$RESULTS/$(date -u +%Y-%m-%d)-vault-$N.txt"
say "$ME: written to $RESULTS/$(date -u +%Y-%m-%d)-vault-$N.txt"
