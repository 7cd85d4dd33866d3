#!/usr/bin/env bash
# The disk source's proof on real kernel drivers: boots a Debian 12 kernel with
# a busybox initramfs in QEMU (software emulation) with an emulated AHCI (SATA)
# disk and an emulated NVMe disk, records both with vigie-disk-probe (the live
# linux_device_io.cc: SG_IO ATA PASS-THROUGH and NVMe admin ioctls), runs the
# real `smartctl -x --json` on each, injects an NVMe critical warning over QMP
# and records again, and records once more without capabilities. Then the
# host checks that what the agent decodes from the recordings equals
# smartctl's JSON (check_against_smartctl.py).
#
# Usage: tests/qemu/run_smart_vm.sh --probe BUILD/agent/smart/vigie-disk-probe
#            [--out DIR] [--update-fixtures SOURCE_DIR] [--no-check]
#   --out DIR               where the recordings and logs go (default: a fresh
#                           folder under $TMPDIR, kept on failure)
#   --update-fixtures SRC   copy the recordings into SRC/tests/fixtures/smart/
#                           qemu_* and the sysfs tree into
#                           SRC/tests/fixtures/hosts/qemu-q35-ahci-nvme/
# Env:   VIGIE_QEMU_CACHE   kernel cache (default /var/tmp/vigie-qemu-cache)
#        VIGIE_QEMU_ACCEL   tcg (default) or kvm
#
# Needs root the first time (apt-get install, apt-get download); then QEMU
# itself runs unprivileged. Takes about 1-2 minutes on 2 cores, most of it
# booting under TCG and building the initramfs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="" OUT="" UPDATE="" CHECK=1
while [ $# -gt 0 ]; do
  case "$1" in
    --probe) PROBE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --update-fixtures) UPDATE=$2; shift 2 ;;
    --no-check) CHECK=0; shift ;;
    *) echo "usage: $0 --probe PATH [--out DIR] [--update-fixtures SRC] [--no-check]" >&2; exit 2 ;;
  esac
done
[ -x "$PROBE" ] || { echo "$0: --probe must name the built vigie-disk-probe" >&2; exit 2; }
PROBE=$(realpath "$PROBE")
CACHE=${VIGIE_QEMU_CACHE:-/var/tmp/vigie-qemu-cache}
ACCEL=${VIGIE_QEMU_ACCEL:-tcg}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/vigie-smart-vm-XXXXXX")}
mkdir -p "$CACHE" "$OUT"
rm -rf "${OUT:?}"/{rec,rec_cw,rec_nocaps,sys}   # a previous run's recordings must not linger
T0=$(date +%s.%N)
step() { printf '[%6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }

# ---- 1. host packages, idempotent (a fresh Debian 12 CI machine has none) ----------------------
if [ "$(id -u)" != 0 ] && ! command -v qemu-system-x86_64 >/dev/null; then
  echo "$0: QEMU is not installed and only root can install it: skipped" >&2; exit 77
fi
need=(qemu-system-x86 busybox-static smartmontools cpio kmod bc python3 util-linux)
missing=(); for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
step "host packages ready"

# ---- 2. the Debian kernel, extracted into the cache (never installed on the host) -----------------
# The generic flavour: linux-image-cloud-amd64 has no AHCI driver.
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$KPKG" ]; then apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
KV=${KPKG#linux-image-}
KDIR=$CACHE/kernel-$KV
if [ ! -f "$KDIR/boot/vmlinuz-$KV" ]; then
  ( cd "$CACHE" && { ls "${KPKG}"_*.deb >/dev/null 2>&1 || apt-get download "$KPKG" >/dev/null 2>&1; } )
  rm -rf "$KDIR.tmp"; dpkg-deb -x "$CACHE/${KPKG}"_*.deb "$KDIR.tmp"
  /sbin/depmod -b "$KDIR.tmp" "$KV"    # the .deb ships no modules.dep (its postinst makes it)
  mv "$KDIR.tmp" "$KDIR"
fi
step "kernel $KV ready"

# ---- 3. initramfs: busybox, smartctl, setpriv, the probe, their libraries, the disk modules -------
R=$OUT/initramfs; rm -rf "$R"; mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/modules,etc,proc,sys,dev,tmp}
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
cp /usr/sbin/smartctl "$R/usr/sbin/"; cp /usr/bin/setpriv "$R/usr/bin/setpriv.ul"; cp "$PROBE" "$R/usr/bin/vigie-disk-probe"
for lib in $(ldd /usr/sbin/smartctl /usr/bin/setpriv "$PROBE" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
  mkdir -p "$R$(dirname "$lib")"; cp -nL "$lib" "$R$lib"
done
mkdir -p "$R/var/lib/smartmontools" "$R/usr/share/smartmontools"
cp -r /var/lib/smartmontools/drivedb "$R/var/lib/smartmontools/" 2>/dev/null || true
cp /usr/share/smartmontools/drivedb.h "$R/usr/share/smartmontools/" 2>/dev/null || true
: > "$R/lib/modules/load.list"
for m in crc64_rocksoft_generic ahci sd_mod sg nvme drivetemp; do
  /sbin/modprobe -d "$KDIR" -S "$KV" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$R/lib/modules/"; basename "$ko" >> "$R/lib/modules/load.list"
done
cp "$HERE/guest_init.sh" "$R/init"; cp "$HERE/guest_record_sys.sh" "$R/usr/bin/record-sys"; chmod +x "$R/init" "$R/usr/bin/record-sys"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.gz"
rm -rf "$R"
step "initramfs built ($(du -h "$OUT/initramfs.gz" | cut -f1))"

# ---- 4. boot and drive the guest over its serial console and QMP ----------------------------------
truncate -s 64M "$OUT/sata.img"; truncate -s 64M "$OUT/nvme.img"
python3 "$HERE/smart_vm.py" --out "$OUT" --kernel "$KDIR/boot/vmlinuz-$KV" --initrd "$OUT/initramfs.gz" \
  --accel "$ACCEL" --kernel-version "$KV"
rm -f "$OUT/sata.img" "$OUT/nvme.img" "$OUT/initramfs.gz"
step "guest done: recordings in $OUT"

# ---- 5. compare the agent's decoding with smartctl ------------------------------------------------
if [ "$CHECK" = 1 ]; then
  python3 "$HERE/check_against_smartctl.py" --probe "$PROBE" --out "$OUT"
  step "agent decoding matches smartctl"
fi

if [ -n "$UPDATE" ]; then
  F=$UPDATE/tests/fixtures
  for pair in "qemu_ahci:rec:sda" "qemu_nvme:rec:nvme0n1" "qemu_nvme_critical_warning:rec_cw:nvme0n1" \
              "qemu_nocaps:rec_nocaps:"; do
    IFS=: read -r name src disk <<< "$pair"
    rm -rf "${F:?}/smart/$name"; mkdir -p "$F/smart/$name"
    if [ -n "$disk" ]; then cp -r "$OUT/$src/$disk" "$F/smart/$name/"; else cp -r "$OUT/$src/." "$F/smart/$name/"; rm -f "$F/smart/$name/PROVENANCE.md"; fi
    cp "$OUT/provenance_$name.md" "$F/smart/$name/PROVENANCE.md"
  done
  cp "$OUT/smartctl_sda.json" "$F/smart/qemu_ahci/smartctl.json"
  cp "$OUT/smartctl_nvme0.json" "$F/smart/qemu_nvme/smartctl.json"
  cp "$OUT/smartctl_nvme0_cw.json" "$F/smart/qemu_nvme_critical_warning/smartctl.json"
  rm -rf "$F/hosts/qemu-q35-ahci-nvme"; mkdir -p "$F/hosts/qemu-q35-ahci-nvme"
  cp -a "$OUT/sys/sys" "$F/hosts/qemu-q35-ahci-nvme/"
  cp "$OUT/provenance_sys.md" "$F/hosts/qemu-q35-ahci-nvme/PROVENANCE.md"
  step "fixtures updated under $F"
fi
