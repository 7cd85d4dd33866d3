#!/usr/bin/env bash
# agent/hot_text.ld lists by name the input sections of the code the agent
# runs (bench/agent_footprint/hot_text.py). When the code or the toolchain
# changes, names stop matching and the code they held moves back among the
# cold code: the agent still runs, only its resident memory grows. This
# catches that: the linked hot section must not fall well below the size
# recorded when the list was made.
#   usage: hot_text_test.sh PATH/TO/hot_text.ld PATH/TO/vigie-agent.map
set -uo pipefail
script=$1 map=$2
# Below this share of the recorded size, the list is stale: regenerate it.
min_percent=75

recorded=$(sed -n 's/^ *hot_bytes = \([0-9]*\).*/\1/p' "$script")
[ -n "$recorded" ] || { echo "FAIL: $script records no hot_bytes (regenerate it with hot_text.py)"; exit 1; }
provenance=$(sed -n 's/^ *provenance: //p' "$script")
# The output section's line in the map: name, then address and size on the next line.
size=$(awk '/^\.text\.vigie_hot/ { getline; print $2; exit }' "$map")
[[ "$size" =~ ^0x[0-9a-f]+$ ]] || { echo "FAIL: no .text.vigie_hot in $map: was $script linked?"; exit 1; }
linked=$((size))

percent=$((linked * 100 / recorded))
echo "hot section: $linked bytes linked, $recorded recorded ($percent %), list made at $provenance"
if [ "$percent" -lt "$min_percent" ]; then
  echo "FAIL: the hot list is stale (under $min_percent % of its recorded size): as root, rebuild vigie-agent and"
  echo "      agent_footprint, run bench/agent_footprint/hot_text.py, rebuild, and commit agent/hot_text.ld"
  exit 1
fi
