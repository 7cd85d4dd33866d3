#!/usr/bin/env python3
"""Checks that every value the agent decodes from a recorded disk equals what
smartctl printed for the same disk at the same time.

  check_against_smartctl.py --probe BUILD/agent/smart/vigie-disk-probe \
      --recording DIR --disk NAME --smartctl SMARTCTL.json [--critical-warning N]
  check_against_smartctl.py --probe ... --out VM_OUT   (all of run_smart_vm.sh's recordings)

Runs `vigie-disk-probe --replay DIR` (the disk source over the recorded bytes)
and compares its JSON with `smartctl -x --json`: identity, capacity, overall
health, temperature, each ATA attribute (value, worst, threshold, raw value,
raw text, name, pre-failure flag), the error-log count and the last
self-test; the NVMe health log fields. Exit status 0 when all match; 1 with
one line per mismatch otherwise.
"""
import argparse
import json
import re
import subprocess
import sys

problems = []
checked = 0


def expect(what, ours, theirs):
    global checked
    checked += 1
    if ours != theirs:
        problems.append(f"{what}: agent {ours!r}, smartctl {theirs!r}")


def decode(probe, recording, disk):
    run = subprocess.run([probe, "--replay", recording], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"vigie-disk-probe --replay {recording} failed ({run.returncode}): {run.stderr}")
    for d in json.loads(run.stdout)["disks"]:
        if d["device"] == disk:
            return d
    sys.exit(f"{recording}: no disk {disk} in {run.stdout}")


def check_ata(name, ours, sc):
    expect(f"{name} status", ours["status"], "READ")
    expect(f"{name} model", ours["model"], sc.get("model_name", ""))
    expect(f"{name} serial", ours["serial"], sc.get("serial_number", ""))
    expect(f"{name} firmware", ours["firmware"], sc.get("firmware_version", ""))
    if "user_capacity" in sc:
        expect(f"{name} capacity", ours["capacity_bytes"], sc["user_capacity"]["bytes"])
    if "rotation_rate" in sc:  # smartctl prints 0 for a solid-state device (word 217 = 1)
        expect(f"{name} rotation", ours["rotation_rate_rpm"], 1 if sc["rotation_rate"] == 0 else sc["rotation_rate"])
    expect(f"{name} health", ours["health"], "PASSED" if sc["smart_status"]["passed"] else "FAILED")
    expect(f"{name} temperature", ours.get("temperature_celsius"), sc.get("temperature", {}).get("current"))
    table = sc["ata_smart_attributes"]["table"]
    expect(f"{name} attribute ids", [a["id"] for a in ours["ata_attributes"]], [a["id"] for a in table])
    for a, s in zip(ours["ata_attributes"], table):
        who = f"{name} attribute {s['id']}"
        if options.names:
            expect(f"{who} name", a["name"], s["name"])
        expect(f"{who} value", a["value"], s["value"])
        expect(f"{who} worst", a["worst"], s["worst"])
        expect(f"{who} threshold", a["threshold"], s["thresh"])
        expect(f"{who} prefailure", a["prefailure"], s["flags"]["prefailure"])
        expect(f"{who} raw text", a["raw_text"], s["raw"]["string"])
        # smartctl's raw.value is the raw field in the format's byte order;
        # when it prints it as one plain number (raw48), that is the stored
        # 48-bit field, which is what the agent reports.
        if s["raw"]["string"].strip() == str(s["raw"]["value"]):
            expect(f"{who} raw", a["raw"], s["raw"]["value"])
        # raw_decoded is the first number smartctl prints (raw8 / raw16,
        # several numbers without parentheses, excepted).
        first = re.match(r"-?\d+", s["raw"]["string"])
        several = len(s["raw"]["string"].split()) > 1 and "(" not in s["raw"]["string"]
        if first and not several:
            expect(f"{who} raw decoded", a["raw_decoded"], int(first.group()))
    log = sc.get("ata_smart_error_log", {})
    count = log.get("summary", log.get("extended", {})).get("count")
    if options.error_log:
        expect(f"{name} error count", ours.get("ata_error_count"), count)
    tests = sc.get("ata_smart_self_test_log", {}).get("standard", {}).get("table", [])
    if tests:
        last = ours.get("last_self_test")
        expect(f"{name} self-test present", last is not None, True)
        if last:
            expect(f"{name} self-test status", last["status"], tests[0]["status"]["value"])
            expect(f"{name} self-test hours", last["lifetime_hours"], tests[0]["lifetime_hours"])
    else:
        expect(f"{name} self-test", ours.get("last_self_test"), None)


def check_nvme(name, ours, sc, critical_warning):
    expect(f"{name} status", ours["status"], "READ")
    expect(f"{name} model", ours["model"], sc["model_name"])
    expect(f"{name} serial", ours["serial"], sc["serial_number"])
    expect(f"{name} firmware", ours["firmware"], sc["firmware_version"])
    if "nvme_total_capacity" in sc:
        expect(f"{name} capacity", ours["capacity_bytes"], sc["nvme_total_capacity"])
    expect(f"{name} health", ours["health"], "PASSED" if sc["smart_status"]["passed"] else "FAILED")
    expect(f"{name} temperature", ours.get("temperature_celsius"), sc["temperature"]["current"])
    n, h = ours["nvme"], sc["nvme_smart_health_information_log"]
    for field, theirs in [("critical_warning", "critical_warning"), ("composite_temperature_celsius", "temperature"),
                          ("available_spare_percent", "available_spare"),
                          ("available_spare_threshold_percent", "available_spare_threshold"),
                          ("percentage_used", "percentage_used"), ("data_units_read", "data_units_read"),
                          ("data_units_written", "data_units_written"), ("power_cycles", "power_cycles"),
                          ("power_on_hours", "power_on_hours"), ("unsafe_shutdowns", "unsafe_shutdowns"),
                          ("media_errors", "media_errors"), ("error_log_entries", "num_err_log_entries"),
                          ("warning_temperature_minutes", "warning_temp_time"),
                          ("critical_temperature_minutes", "critical_comp_time")]:
        expect(f"{name} nvme {field}", n[field], h[theirs])
    expect(f"{name} nvme temperature sensors", [s["celsius"] for s in n["temperature_sensors"]],
           h.get("temperature_sensors", []))
    if critical_warning is not None:
        expect(f"{name} injected critical warning", n["critical_warning"], critical_warning)


def check(probe, recording, disk, smartctl_path, critical_warning=None):
    with open(smartctl_path) as f:
        sc = json.load(f)
    ours = decode(probe, recording, disk)
    name = f"{recording}:{disk}"
    if "nvme_smart_health_information_log" in sc:
        check_nvme(name, ours, sc, critical_warning)
    else:
        if "ata_smart_attributes" not in sc:
            sys.exit(f"{smartctl_path}: smartctl read no SMART data (no CAP_SYS_RAWIO?)")
        check_ata(name, ours, sc)


class Options:
    names = True       # attribute names: the decoders follow smartctl 7.3's drivedb
    error_log = True   # the recording holds the summary error log page


options = Options()


def check_decoder_fixtures(probe, root):
    """The decoders' fixtures (tests/fixtures/smart/<drive>/, pages rebuilt
    from real drives' smartctl output by make_fixtures.py) replayed through
    the whole disk source: their files renamed into a recording."""
    import shutil
    import tempfile
    names = {"identify.bin": "identify.bin", "smart_data.bin": "smart_data.bin",
             "smart_thresholds.bin": "smart_thresholds.bin", "error_log.bin": "log_01.bin",
             "self_test_log.bin": "log_06.bin", "nvme_identify.bin": "nvme_identify.bin",
             "nvme_health.bin": "nvme_log_02.bin"}
    import os
    for drive in sorted(os.listdir(root)):
        src = os.path.join(root, drive)
        if drive.startswith("qemu") or not os.path.exists(os.path.join(src, "smartctl.json")):
            continue
        with open(os.path.join(src, "smartctl.json")) as f:
            sc = json.load(f)
        if "smart_status" not in sc:
            continue  # an attributes-only excerpt: no whole reading to compare
        nvme = os.path.exists(os.path.join(src, "nvme_health.bin"))
        disk = "nvme0n1" if nvme else "sda"
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, drive, disk)
            os.makedirs(dst)
            for theirs, ours in names.items():
                if os.path.exists(os.path.join(src, theirs)):
                    shutil.copy(os.path.join(src, theirs), os.path.join(dst, ours))
            if not nvme:
                with open(os.path.join(dst, "power_mode"), "w") as f:
                    f.write("active\n")
                passed = sc.get("smart_status", {}).get("passed")
                if passed is not None:
                    with open(os.path.join(dst, "smart_status"), "w") as f:
                        f.write("passed\n" if passed else "failed\n")
            options.names = sc["smartctl"]["version"][:2] == [7, 3]
            options.error_log = os.path.exists(os.path.join(src, "error_log.bin"))
            check(probe, os.path.join(tmp, drive), disk, os.path.join(src, "smartctl.json"))


ap = argparse.ArgumentParser()
ap.add_argument("--probe", required=True)
ap.add_argument("--out")
ap.add_argument("--recording")
ap.add_argument("--disk")
ap.add_argument("--smartctl")
ap.add_argument("--critical-warning", type=lambda s: int(s, 0))
ap.add_argument("--decoder-fixtures", help="tests/fixtures/smart: every non-QEMU drive with a smartctl.json")
args = ap.parse_args()
if args.out:
    vm = json.load(open(f"{args.out}/vm.json"))
    check(args.probe, f"{args.out}/rec", "sda", f"{args.out}/smartctl_sda.json")
    check(args.probe, f"{args.out}/rec", "nvme0n1", f"{args.out}/smartctl_nvme0.json")
    check(args.probe, f"{args.out}/rec_cw", "nvme0n1", f"{args.out}/smartctl_nvme0_cw.json", vm["critical_warning"])
    # What the live DeviceIo answered without capabilities.
    for disk, cap in (("sda", "CAP_SYS_RAWIO"), ("nvme0n1", "CAP_SYS_ADMIN")):
        d = decode(args.probe, f"{args.out}/rec_nocaps", disk)
        expect(f"nocaps {disk} status", d["status"], "ERROR")
        expect(f"nocaps {disk} names {cap}", cap in d["error"], True)
    # The live agent in the guest, after the injection.
    expect("live critical warning", vm["live_cw"]["nvme"]["critical_warning"], vm["critical_warning"])
    expect("live health", vm["live_cw"]["health"], "FAILED")
elif args.decoder_fixtures:
    check_decoder_fixtures(args.probe, args.decoder_fixtures)
else:
    check(args.probe, args.recording, args.disk, args.smartctl, args.critical_warning)
for p in problems:
    print("MISMATCH", p)
print(f"{checked - len(problems)} passed, {len(problems)} failed")
sys.exit(1 if problems else 0)
