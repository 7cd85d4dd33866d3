#!/usr/bin/env bash
# Runs CMD inside a private mount namespace where a recorded sysfs tree,
# FIXTURE/sys/class and FIXTURE/sys/devices, is overlaid on the machine's
# /sys/class and /sys/devices, so that the real libsensors (and Debian's
# `sensors`) read the recording as if it were the machine's hardware.
#
#   tests/hwmon/run_in_fake_sys.sh FIXTURE CMD [ARGS...]
#
# Why an overlay and not a bind mount or a tmpfs: libsensors insists that
# /sys is sysfs (statfs magic, lib/sysfs.c), so /sys stays the real sysfs and
# only class/ and devices/ are overlaid, read-only (lowerdir=fixture:real).
# The fixture's class folders (hwmon, powercap, ...) are marked opaque, so
# entries of the real machine never mix in.
#
# The fixture is first copied to a scratch folder, because git keeps neither
# file modes (energy_uj is 0400 on kernels >= 5.10) nor the overlay's xattrs;
# CMD gets its path in VIGIE_FAKE_SYS (e.g. $VIGIE_FAKE_SYS/devices/...) and
# may change values there IN PLACE (same inode: a renamed or new file is not
# seen through the overlay). The namespace and its mounts die with CMD; the
# scratch folder is removed on exit. Nothing is mounted on the host.
#
# VIGIE_FAKE_SYS_SCRATCH=DIR names the scratch folder instead (created, and
# it must be empty): the caller, who then knows where to change values from
# outside, owns it and removes it. The script then ends by exec'ing into CMD,
# so CMD has the script's pid (a caller can signal it directly).
#
# Needs root (mount namespace, overlayfs, trusted.* xattrs): otherwise it
# prints why and exits 77, which ctest reports as skipped (SKIP_RETURN_CODE).
# Installs lm-sensors and attr with apt-get when missing (CI is a fresh
# Debian 12 run as root).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 FIXTURE CMD [ARGS...]" >&2
  exit 2
fi
fixture=$(readlink -f "$1"); shift

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: $0 needs root (a mount namespace with overlayfs on /sys/class and /sys/devices)"
  exit 77
fi
if [ ! -d "$fixture/sys/class" ] || [ ! -d "$fixture/sys/devices" ]; then
  echo "$0: $fixture has no sys/class and sys/devices" >&2
  exit 2
fi

need() {  # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (for $1)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need sensors lm-sensors
need setfattr attr
need unshare util-linux

scratch=${VIGIE_FAKE_SYS_SCRATCH:-}
if [ -n "$scratch" ]; then
  mkdir -p "$scratch"
  if [ -n "$(ls -A "$scratch")" ]; then
    echo "$0: VIGIE_FAKE_SYS_SCRATCH=$scratch is not empty" >&2
    exit 2
  fi
else
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/vigie-fake-sys.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
fi
cp -a "$fixture/sys" "$scratch/"
sys="$scratch/sys"

# Modes as the kernel sets them (Documentation/hwmon/sysfs-interface.rst:
# read-only values 0444, writable limits 0644; powercap energy_uj 0400).
find "$sys" -type d -exec chmod 0755 {} +
find "$sys" -type f -exec chmod 0444 {} +
find "$sys" -type f \( -name '*_min' -o -name '*_max' -o -name '*_crit' -o -name '*_lcrit' \
  -o -name '*_hyst' -o -name 'intrusion*_alarm' -o -name 'enabled' -o -name '*_power_limit_uw' \
  -o -name '*_time_window_us' \) -exec chmod 0644 {} +
find "$sys" -type f -name energy_uj -exec chmod 0400 {} +
for d in "$sys"/class/*/; do
  setfattr -n trusted.overlay.opaque -v y "$d"
done

export VIGIE_FAKE_SYS="$sys"
inner='
  set -e
  sys=$1; shift
  mount -t overlay vigie-sysclass -o ro,lowerdir="$sys/class":/sys/class /sys/class
  mount -t overlay vigie-sysdevices -o ro,lowerdir="$sys/devices":/sys/devices /sys/devices
  exec "$@"'
if [ -n "${VIGIE_FAKE_SYS_SCRATCH:-}" ]; then
  unset VIGIE_FAKE_SYS_SCRATCH
  exec unshare --mount --propagation private sh -c "$inner" sh "$sys" "$@"
fi
set +e
unshare --mount --propagation private sh -c "$inner" sh "$sys" "$@"
rc=$?
exit $rc
