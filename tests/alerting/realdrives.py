#!/usr/bin/python3
"""Turns smartctl outputs (-x text or -j JSON) into the few fields the alert
rules read, one drive per paragraph, for alerting/rules_test.cc:

  drive NAME
  kind ata|nvme
  health PASSED|FAILED|UNKNOWN
  attr ID VALUE WORST THRESH PREFAIL(0/1) RAW_DECODED RAW_TEXT...
  nvme CRITICAL_WARNING SPARE SPARE_THRESHOLD PERCENT_USED MEDIA_ERRORS

RAW_DECODED is the leading integer of smartctl's RAW_VALUE text, as the
agent's decoder fills AtaAttribute.raw_decoded ("0 0 0" -> 0, "36 (Min/Max
21/52)" -> 36), and RAW_TEXT that text. Counts beyond 64 bits are clamped
to 2^64-1, as a 64-bit field would hold them. Usage: realdrives.py FILE...
"""
import json
import os
import re
import sys


def leading_int(text):
    m = re.match(r"\s*(-?\d+)", str(text))
    return min(int(m.group(1)), 2**63 - 1) if m else 0


def u64(value):
    return min(int(value), 2**64 - 1)


def from_json(doc):
    out = []
    health = doc.get("smart_status", {}).get("passed")
    out.append("health %s" % ("UNKNOWN" if health is None else "PASSED" if health else "FAILED"))
    nvme = doc.get("nvme_smart_health_information_log")
    if nvme is not None:
        out.insert(0, "kind nvme")
        out.append("nvme %d %d %d %d %d" % (nvme.get("critical_warning", 0), nvme.get("available_spare", 100),
                                            nvme.get("available_spare_threshold", 0),
                                            nvme.get("percentage_used", 0), u64(nvme.get("media_errors", 0))))
        return out
    out.insert(0, "kind ata")
    for a in doc.get("ata_smart_attributes", {}).get("table", []):
        text = str(a["raw"].get("string", a["raw"]["value"])).strip()
        out.append("attr %d %d %d %d %d %d %s" % (a["id"], a["value"], a["worst"], a.get("thresh", 0),
                                                  1 if a["flags"].get("prefailure") else 0, leading_int(text), text))
    return out


ATTR = re.compile(r"^\s*(\d+)\s+(\S+)\s+(0x[0-9a-fA-F]+|[PO-][O-][S-][R-][C-][K-])\s+(\d+)\s+(\d+)\s+(\d+|-+)\s+(.*)$")


def from_text(text):
    out = []
    m = re.search(r"self-assessment test result:\s*(\w+)", text)
    health = m.group(1) if m else "UNKNOWN"
    out.append("health %s" % ("PASSED" if health == "PASSED" else "FAILED" if health == "FAILED" else "UNKNOWN"))
    if "SMART/Health Information" in text or "NVMe" in text and "Available Spare" in text:
        def field(name, default=0):
            m = re.search(r"^" + re.escape(name) + r":\s*(0x[0-9a-fA-F]+|[\d,]+)", text, re.M)
            if not m:
                return default
            v = m.group(1).replace(",", "")
            return int(v, 16) if v.startswith("0x") else u64(v)
        out.insert(0, "kind nvme")
        out.append("nvme %d %d %d %d %d" % (field("Critical Warning"), field("Available Spare", 100),
                                            field("Available Spare Threshold"), field("Percentage Used"),
                                            field("Media and Data Integrity Errors")))
        return out
    out.insert(0, "kind ata")
    for line in text.splitlines():
        m = ATTR.match(line)
        if not m:
            continue
        flags = m.group(3)
        prefail = (int(flags, 16) & 1) if flags.startswith("0x") else int(flags[0] == "P")
        rest = m.group(7).split()
        # -x: TYPE UPDATED WHEN_FAILED RAW...; brief: WHEN_FAILED RAW...
        raw_tokens = rest[3:] if rest and rest[0] in ("Pre-fail", "Old_age") else rest[1:]
        thresh = m.group(6)
        text = " ".join(raw_tokens)
        out.append("attr %s %s %s %d %d %d %s" % (m.group(1), m.group(4), m.group(5),
                                                  0 if thresh.startswith("-") else int(thresh), prefail,
                                                  leading_int(text), text))
    return out


def main():
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = from_json(json.loads(text)) if path.endswith(".json") else from_text(text)
        # tests/fixtures/smart/<drive>/smartctl.json: the drive is the folder.
        name = os.path.basename(path)
        if name.startswith("smartctl."):
            name = os.path.basename(os.path.dirname(os.path.abspath(path)))
        print("drive %s" % name)
        print("\n".join(lines))
        print()


if __name__ == "__main__":
    main()
