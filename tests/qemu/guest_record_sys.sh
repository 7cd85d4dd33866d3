#!/bin/sh
# Copies into $1 the part of /sys that disk discovery and the hwmon helper read
# (agent/smart/disk_discovery.h): the /sys/block links with their targets'
# removable and partition files and device links, the NVMe subsystems'
# controller entries, and each hwmon chip's name and device/block entries.
out=$1
mkdir -p "$out/sys/block"
for b in /sys/block/*; do
  n=${b##*/}
  ln -s "$(readlink "$b")" "$out/sys/block/$n"
  d=$out$(realpath "$b")
  mkdir -p "$d"
  for f in removable size partition; do [ -f "$b/$f" ] && cat "$b/$f" > "$d/$f"; done
  if [ -L "$b/device" ]; then ln -s "$(readlink "$b/device")" "$d/device"; fi
done
for s in /sys/class/nvme-subsystem/*; do
  [ -e "$s" ] || continue
  mkdir -p "$out$s"
  for c in "$s"/nvme*; do [ -e "$c" ] && mkdir -p "$out$s/${c##*/}"; done
done
for h in /sys/class/hwmon/hwmon*; do
  [ -e "$h" ] || continue
  mkdir -p "$out$h"
  cat "$h/name" > "$out$h/name"
  if [ -d "$h/device/block" ]; then
    for x in "$h"/device/block/*; do mkdir -p "$out$h/device/block/${x##*/}"; done
  fi
done
