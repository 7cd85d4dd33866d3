#!/bin/sh
# Started by tests/fleet/netns.cc in a session of its own, with a pipe from the
# test process on its standard input. When the pipe closes — the test ended,
# however it ended — it kills the processes still running in the namespaces
# named PREFIX-*, removes those namespaces, then the scratch folder.
#
#   netns_reaper.sh IP PREFIX SCRATCH
ip=$1
prefix=$2
scratch=$3
cat >/dev/null
for ns in $("$ip" netns list | awk '{print $1}' | grep "^$prefix-"); do
  for pid in $("$ip" netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  "$ip" netns del "$ns" 2>/dev/null
done
[ -n "$scratch" ] && rm -rf "$scratch"
exit 0
