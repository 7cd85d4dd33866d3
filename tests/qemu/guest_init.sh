#!/bin/sh
# /init of the test VM (tests/qemu/run_smart_vm.sh): mounts the kernel file
# systems, loads the disk drivers, waits for /dev/sda and /dev/nvme0, then runs
# one shell line at a time from the serial console, framing each answer with
# "@@ BEGIN" and "@@ END rc=N" for smart_vm.py.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/modules/load.list); do
  insmod /lib/modules/$m 2>/dev/null || echo "@@ insmod $m failed (ok if built in)"
done
i=0; while [ ! -e /dev/sda ] || [ ! -e /dev/nvme0 ]; do i=$((i+1)); [ $i -gt 600 ] && break; sleep 0.1; done
dmesg -n 1
stty -echo -onlcr 2>/dev/null
echo "@@ READY"
while IFS= read -r line; do
  echo "@@ BEGIN"; sh -c "$line" 2>&1; echo "@@ END rc=$?"
done
poweroff -f
