#!/bin/bash
# A fuzzing campaign over the libFuzzer build (fuzz/README.md):
#   fuzz/campaign.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Runs each target (all of them by default) in turn at nice 19, one process,
# for SECONDS_PER_TARGET, from its committed inputs (fuzz/seeds/TARGET and
# fuzz/corpus/TARGET, read only) into a scratch corpus. libFuzzer stops at a
# crash, keeping the input in OUT/TARGET/artifacts/; the target is then
# started again for the time left. Then fuzz/corpus/TARGET becomes the
# smallest set of the corpus and the new inputs that covers the edges the
# seeds do not (-merge=1 -use_counters=0; with hit counts too, the push
# corpus was four times larger).
# Each run's log is OUT/TARGET/log.N; OUT/summary.tsv gets one line per
# target: executions, seconds, executions per second, crashing inputs kept.
# OUT is $VIGIE_FUZZ_OUT, else /tmp/vigie-fuzz-campaign.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET [TARGET...]" >&2
  exit 2
fi
build=$(realpath "$1")
seconds=$2
shift 2
here=$(dirname "$(realpath "$0")")
out=${VIGIE_FUZZ_OUT:-/tmp/vigie-fuzz-campaign}
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(ls "$here/corpus")
fi
# The targets' scratch files (configs, spool files, the api target's SQLite
# database, fsynced on every commit) on tmpfs when there is one.
if [[ -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
mkdir -p "$out"

for target in "${targets[@]}"; do
  binary=$build/fuzz/fuzz_$target
  seeds=$here/seeds/$target
  corpus=$here/corpus/$target
  work=$out/$target
  rm -rf "$work"
  mkdir -p "$work/new" "$work/artifacts" "$work/minimised" "$corpus"
  dict=()
  [[ -f $here/dict/$target.dict ]] && dict=(-dict="$here/dict/$target.dict")
  echo "== $target: ${seconds}s from $(date -u +%H:%M:%S)"
  start=$(date +%s)
  executions=0
  run=0
  while (( $(date +%s) - start < seconds )); do
    run=$((run + 1))
    left=$((seconds - ($(date +%s) - start)))
    # stdin from /dev/null: a config naming /dev/stdin as a secret file must not wait on a terminal.
    nice -n 19 "$binary" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/new" "$corpus" "$seeds" </dev/null >"$work/log.$run" 2>&1 || true
    done_units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.$run")
    executions=$((executions + ${done_units:-0}))
  done
  elapsed=$(($(date +%s) - start))
  crashes=$(ls "$work/artifacts" | wc -l)
  printf '%s\t%d\t%d\t%d\t%d\n' "$target" "$executions" "$elapsed" $((executions / (elapsed > 0 ? elapsed : 1))) "$crashes" |
    tee -a "$out/summary.tsv"
  # The seeds go first into the merge's output, so that only what they do
  # not cover is added; then they are taken out again.
  cp "$seeds"/* "$work/minimised"/
  nice -n 19 "$binary" -merge=1 -use_counters=0 "${dict[@]}" "$work/minimised" "$corpus" "$work/new" </dev/null >"$work/merge.log" 2>&1
  for seed in "$seeds"/*; do rm -f "$work/minimised/$(basename "$seed")"; done
  find "$corpus" -type f -delete
  find "$work/minimised" -type f -exec cp {} "$corpus"/ \;
  echo "   corpus: $(ls "$corpus" | wc -l) inputs, $(du -sb "$corpus" | cut -f1) bytes"
done
