#!/usr/bin/env bash
# The static vigie-agent as agent/CMakeLists.txt means it: no dynamic loader
# or shared library, and no standard stream object (std::cout and the rest),
# since no_standard_streams.cc keeps them from being constructed: one linked
# in would be used unconstructed.
#   usage: static_executable_test.sh PATH/TO/vigie-agent
set -uo pipefail
agent=$1
status=0
fail() { echo "FAIL: $*"; status=1; }

headers=$(readelf --program-headers --dynamic "$agent") || { echo "FAIL: readelf $agent"; exit 1; }
grep -q "INTERP" <<<"$headers" && fail "$agent asks for a dynamic loader"
grep -q "(NEEDED)" <<<"$headers" && fail "$agent needs shared libraries: $(grep '(NEEDED)' <<<"$headers")"

symbols=$(nm --demangle "$agent") || { echo "FAIL: nm $agent"; exit 1; }
streams=$(grep -E " std::(w?cout|w?cin|w?cerr|w?clog)$" <<<"$symbols")
[ -n "$streams" ] && fail "standard stream objects linked in: $(tr '\n' ' ' <<<"$streams")"
# Ours, not libstdc++'s (which would construct the streams and the locale).
grep -q " T std::ios_base::Init::Init()$" <<<"$symbols" || fail "no std::ios_base::Init::Init() defined"

[ "$status" -eq 0 ] && echo "ok: $agent is static and links no standard stream"
exit "$status"
