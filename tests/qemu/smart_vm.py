#!/usr/bin/env python3
"""Drives the test VM of run_smart_vm.sh: boots QEMU with an AHCI and an NVMe
disk, then over the serial console (a unix socket) records the disks with
vigie-disk-probe, runs smartctl, and over QMP injects an NVMe critical warning.

Writes into --out:
  rec/             vigie-disk-probe --record, as root
  rec_cw/          the same after qom-set smart_critical_warning=CW_VALUE
  rec_nocaps/      the same as uid 65534 without capabilities (devices 0666)
  sys/             the guest's sysfs as disk discovery reads it
  smartctl_sda.json, smartctl_nvme0.json, smartctl_nvme0_cw.json
  provenance_*.md  PROVENANCE.md texts for the fixtures
  vm.json          timings and facts
Every wait is bounded; QEMU is killed on any exit.
"""
import argparse
import atexit
import base64
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import time

CW_VALUE = 0x05  # spare below threshold (bit 0) + reliability degraded (bit 2)

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--kernel", required=True)
ap.add_argument("--initrd", required=True)
ap.add_argument("--accel", default="tcg")
ap.add_argument("--kernel-version", default="")
args = ap.parse_args()
out = args.out
ser_path, qmp_path = f"{out}/serial.sock", f"{out}/qmp.sock"
for p in (ser_path, qmp_path):
    if os.path.exists(p):
        os.unlink(p)

SATA_MODEL, SATA_SERIAL, NVME_SERIAL = "VIGIE QEMU SATA", "VIGIESATA0001", "VIGIENVME0001"
cmd = ["qemu-system-x86_64", "-accel", args.accel, "-machine", "q35",
       "-cpu", "host" if args.accel == "kvm" else "max", "-m", "512", "-smp", "1",
       "-nodefaults", "-display", "none", "-no-reboot",
       "-kernel", args.kernel, "-initrd", args.initrd,
       "-append", "console=ttyS0 quiet loglevel=3 panic=-1",
       "-chardev", f"socket,id=ser0,path={ser_path},server=on,wait=on", "-serial", "chardev:ser0",
       "-qmp", f"unix:{qmp_path},server=on,wait=off",
       "-device", "ahci,id=ahci",
       "-drive", f"if=none,id=d0,file={out}/sata.img,format=raw",
       "-device", f"ide-hd,id=sata0,drive=d0,bus=ahci.0,model={SATA_MODEL},serial={SATA_SERIAL}",
       "-drive", f"if=none,id=d1,file={out}/nvme.img,format=raw",
       "-device", f"nvme,id=nvme0,serial={NVME_SERIAL},drive=d1"]
t0 = time.time()
qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(f"{out}/qemu.log", "w"),
                        stderr=subprocess.STDOUT)


def cleanup():
    if qemu.poll() is None:
        qemu.kill()
        qemu.wait()


atexit.register(cleanup)
# ctest's timeout sends SIGTERM: leave through SystemExit so that atexit runs.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))


def connect(path):
    for _ in range(600):
        if qemu.poll() is not None:
            raise SystemExit(f"qemu exited: {open(f'{out}/qemu.log').read()[-2000:]}")
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"cannot connect {path}")


ser = connect(ser_path)
buf = b""


def read_until(pattern, timeout):
    global buf
    end = time.time() + timeout
    while True:
        m = re.search(pattern, buf)
        if m:
            text, buf = buf[:m.end()], buf[m.end():]
            return text.decode(errors="replace"), m
        ser.settimeout(max(0.1, end - time.time()))
        try:
            chunk = ser.recv(65536)
        except socket.timeout:
            raise SystemExit(f"timeout waiting for {pattern!r}; console tail: {buf[-2000:]!r}")
        if not chunk:
            raise SystemExit(f"serial closed; console tail: {buf[-2000:]!r}")
        buf += chunk


def run(line, timeout=120):
    ser.sendall(line.encode() + b"\n")
    read_until(rb"@@ BEGIN\r?\n", timeout)
    text, m = read_until(rb"@@ END rc=(\d+)\r?\n", timeout)
    return text[: text.rfind("@@ END")].replace("\r", ""), int(m.group(1))


def fetch_dir(guest_dir, host_dir):
    text, rc = run(f"tar -C {guest_dir} -c . | base64")
    if rc != 0:
        raise SystemExit(f"cannot read {guest_dir}: {text}")
    data = base64.b64decode("".join(text.split()))
    os.makedirs(host_dir, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(host_dir)


def save(name, text):
    with open(f"{out}/{name}", "w") as f:
        f.write(text)


boot, _ = read_until(rb"@@ READY\r?\n", 300)
facts = {"accel": args.accel, "kernel": args.kernel_version, "t_boot_s": round(time.time() - t0, 1)}
q = connect(qmp_path)
qf = q.makefile("rwb")


def qmp(command, **arguments):
    msg = {"execute": command}
    if arguments:
        msg["arguments"] = arguments
    qf.write(json.dumps(msg).encode() + b"\n")
    qf.flush()
    while True:
        r = json.loads(qf.readline())
        if "event" not in r:
            return r


json.loads(qf.readline())
qmp("qmp_capabilities")

uname, _ = run("uname -a")
facts["guest_uname"] = uname.strip()


def record(name, prefix=""):
    """Records with the live DeviceIo; returns the probe's decoded disks."""
    text, rc = run(f"{prefix}vigie-disk-probe --record /tmp/{name} > /tmp/{name}.json")
    facts[f"probe_{name}"] = {"rc": rc, "stderr": text.strip().splitlines()}
    fetch_dir(f"/tmp/{name}", f"{out}/{name}")
    decoded, _ = run(f"cat /tmp/{name}.json")
    return {d["device"]: d for d in json.loads(decoded)["disks"]}


def smartctl(dev, name):
    text, rc = run(f"smartctl -x --json {dev}")
    facts[f"smartctl_{name}_rc"] = rc
    json.loads(text)  # must parse
    save(f"smartctl_{name}.json", text)


# 1. As root: what the agent reads, then what smartctl reads. A short
# self-test first, so that the self-test log has an entry (QEMU completes it
# at once).
facts["self_test"], _ = run("smartctl -t short /dev/sda | tail -3")
record("rec")
smartctl("/dev/sda", "sda")
smartctl("/dev/nvme0", "nvme0")
run("record-sys /tmp/sys")
fetch_dir("/tmp/sys", f"{out}/sys")
facts["hwmon"], _ = run("for h in /sys/class/hwmon/hwmon*; do echo $h $(cat $h/name) $(readlink $h/device); done")

# 2. An NVMe critical warning injected by the emulated controller.
r = qmp("qom-set", path="/machine/peripheral/nvme0", property="smart_critical_warning", value=CW_VALUE)
facts["qom_set"] = r
facts["critical_warning"] = CW_VALUE
facts["live_cw"] = record("rec_cw")["nvme0n1"]
smartctl("/dev/nvme0", "nvme0_cw")
qmp("qom-set", path="/machine/peripheral/nvme0", property="smart_critical_warning", value=0)

# 3. Without privileges: nobody, no capabilities, device nodes opened up.
run("chmod 0666 /dev/sda /dev/nvme0; mkdir -p /tmp/rec_nocaps; chmod 0777 /tmp/rec_nocaps")
record("rec_nocaps", "setpriv.ul --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ")

ser.sendall(b"poweroff -f\n")
try:
    qemu.wait(timeout=30)
except subprocess.TimeoutExpired:
    qemu.kill()
facts["t_total_s"] = round(time.time() - t0, 1)
save("vm.json", json.dumps(facts, indent=1))

date = time.strftime("%Y-%m-%d", time.gmtime())
machine = (f"QEMU {subprocess.run(['qemu-system-x86_64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]} "
           f"(-machine q35, -accel {args.accel}), guest kernel {args.kernel_version} from Debian 12's "
           f"linux-image-amd64, busybox initramfs; guest `uname -a`: {facts['guest_uname']}")
devices = (f"`-device ahci` + `-device ide-hd,model={SATA_MODEL},serial={SATA_SERIAL}` (a 64 MiB raw image, "
           f"/dev/sda) and `-device nvme,serial={NVME_SERIAL}` (64 MiB, /dev/nvme0, namespace nvme0n1)")
common = (f"Recorded {date} by tests/qemu/run_smart_vm.sh --update-fixtures (tests/qemu/smart_vm.py drives "
          f"the guest).\n\nMachine: {machine}.\n\nDisks: {devices}.\n\n")
provenance = {
    "qemu_ahci": "# qemu_ahci\n\n" + common +
    "Files: `sda/` is what `vigie-disk-probe --record /tmp/rec` (as root in the guest) saved for /dev/sda: the exact "
    "bytes of IDENTIFY DEVICE, SMART READ DATA / THRESHOLDS, SMART READ LOG 01h and 06h, and the CHECK POWER MODE "
    "and SMART RETURN STATUS answers, after `smartctl -t short /dev/sda` (so that the self-test log has an entry). "
    "`smartctl.json` is `smartctl -x --json /dev/sda` run right after, in the same "
    "guest (smartmontools of the host, copied in).\n\nQEMU's ATA SMART is a constant table (hw/ide/core.c): "
    "attributes 1, 3, 4, 5, 9, 12, 190; always PASSED; CHECK POWER MODE always answers FFh (active).\n",
    "qemu_nvme": "# qemu_nvme\n\n" + common +
    "Files: `nvme0n1/` is what `vigie-disk-probe --record /tmp/rec` (as root) saved for the controller /dev/nvme0: "
    "Identify Controller (CNS 01h, 4096 bytes) and Get Log Page 02h (SMART / Health, 512 bytes, NSID FFFFFFFFh). "
    "`smartctl.json` is `smartctl -x --json /dev/nvme0` run right after.\n",
    "qemu_nvme_critical_warning": "# qemu_nvme_critical_warning\n\n" + common +
    f"Before this recording the host ran, over QMP, `qom-set /machine/peripheral/nvme0 smart_critical_warning "
    f"{CW_VALUE}` (0x{CW_VALUE:02x}: available spare below threshold + reliability degraded). Files as in "
    "qemu_nvme: `nvme0n1/` from `vigie-disk-probe --record /tmp/rec_cw`, `smartctl.json` from "
    "`smartctl -x --json /dev/nvme0` right after.\n",
    "qemu_nocaps": "# qemu_nocaps\n\n" + common +
    "Recorded as uid 65534 with no capabilities (`setpriv --reuid=65534 --regid=65534 --clear-groups "
    "--inh-caps=-all vigie-disk-probe --record /tmp/rec_nocaps`) after `chmod 0666 /dev/sda /dev/nvme0`: the "
    "`errors` files hold what the live DeviceIo answered (SG_IO with ATA PASS-THROUGH needs CAP_SYS_RAWIO, NVMe "
    "admin commands CAP_SYS_ADMIN).\n",
}
for name, text in provenance.items():
    save(f"provenance_{name}.md", text)
save("provenance_sys.md", "# qemu-q35-ahci-nvme\n\n" + common +
     "`sys/` is what tests/qemu/guest_record_sys.sh copied from the guest's /sys: the /sys/block links (with their "
     "relative targets), the targets' removable/size/partition files and device links, /sys/class/nvme-subsystem "
     "controller entries and each hwmon chip's name and device/block entries. Guest hwmon chips at recording "
     f"time:\n\n" + "".join(f"    {line}\n" for line in facts["hwmon"].splitlines()))
print(json.dumps(facts, indent=1))
