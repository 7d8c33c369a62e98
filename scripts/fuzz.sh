#!/usr/bin/env bash
# Fuzzes Flotilla's parsers with libFuzzer: scripts/fuzz.sh [TARGET|all] [SECONDS per target]   (docs/fuzzing.md)
# Builds flotilla-fuzz with -sanitize=fuzzer,address into .build-fuzz/ (plain swift build never builds it), then
# runs each target from its seeds (Fuzz/corpus/TARGET, read-only) and its grown corpus (.build-fuzz/corpus/TARGET).
# A crash, a sanitizer report, an input slower than -timeout or heavier than -rss_limit_mb is written to
# .build-fuzz/crashes/TARGET/ and makes the script exit 1 after the other targets have run.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(ini yaml playbook plan ssh-config known-hosts facts chronyc audit regex)
target=${1:-all}
seconds=${2:-60}
if [ "$target" = all ]; then targets=("${all[@]}"); else targets=("$target"); fi
for t in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t'; targets: ${all[*]}" >&2; exit 2; }
done

export FLOTILLA_FUZZ=1
build=(swift build --build-path .build-fuzz --product flotilla-fuzz -Xswiftc -sanitize=fuzzer,address)
start=$(date +%s)
# ld.gold warns about every ASan helper symbol it cannot export; those lines are noise.
mkdir -p .build-fuzz
if ! "${build[@]}" > .build-fuzz/build.log 2>&1; then grep -v "Cannot export local symbol" .build-fuzz/build.log | tail -n 30 >&2; exit 1; fi
bin="$("${build[@]}" --show-bin-path)/flotilla-fuzz"
echo "fuzz.sh: built $bin in $(( $(date +%s) - start ))s"

failed=()
for t in "${targets[@]}"; do
  mkdir -p ".build-fuzz/corpus/$t" ".build-fuzz/crashes/$t"
  echo "fuzz.sh: $t for ${seconds}s"
  # Leak checks are off: the Swift runtime's caches read as leaks at exit; ASan still finds every memory error.
  before=$(ls ".build-fuzz/crashes/$t" | wc -l)
  if ! FLOTILLA_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0 "$bin" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1 \
      -artifact_prefix=".build-fuzz/crashes/$t/" ".build-fuzz/corpus/$t" "Fuzz/corpus/$t" > ".build-fuzz/$t.log" 2>&1; then
    grep -E "ERROR|SUMMARY|Test unit written|Fatal error|out-of-memory" ".build-fuzz/$t.log" | head -n 20 >&2
    newest=$(ls -t ".build-fuzz/crashes/$t" | head -n 1)
    if [[ "$newest" == timeout-* ]] && [ "$(ls ".build-fuzz/crashes/$t" | wc -l)" -gt "$before" ]; then
      # libFuzzer's -timeout is wall-clock time: on a busy machine (load 50) an input that does little work can
      # pass it. Run the input again alone and judge the CPU time it takes, which load does not change.
      # (Two minutes of wall-clock time at most: an input that loops for ever stays a finding.)
      rerun=0
      { TIMEFORMAT=%U+%S; time FLOTILLA_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0 timeout 120 "$bin" -timeout=0 \
        -rss_limit_mb=2048 ".build-fuzz/crashes/$t/$newest" > /dev/null 2>&1 || rerun=$?; } 2> ".build-fuzz/$t.rerun"
      cpu=$(tail -n 1 ".build-fuzz/$t.rerun")
      if awk -v c="$cpu" 'BEGIN { split(c, t, "+"); exit !(t[1] + t[2] < 10) }' && [ "$rerun" != 124 ]; then
        echo "fuzz.sh: $t: $newest needs only ${cpu}s of CPU (the limit is 10 s); the machine was busy, not a finding" >&2
      else
        failed+=("$t")
      fi
    else
      failed+=("$t")
    fi
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" ".build-fuzz/$t.log" | tr "\n" " " || true; echo
done
echo "fuzz.sh: ${#targets[@]} targets in $(( $(date +%s) - start ))s in all, the build included"
echo "fuzz: $(( ${#targets[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in .build-fuzz/crashes/; see docs/fuzzing.md)" >&2
  exit 1
fi
