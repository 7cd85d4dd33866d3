#!/usr/bin/env python3
"""Writes agent/hot_text.ld: the code the agent runs, placed together.

The kernel maps an executable's code 64 KiB at a time around each page the
program touches (fault-around), and readahead fills the page cache around it,
so the agent's resident file pages follow how far apart its code lies, not
how much of it runs: ~1.1 MiB of touched pages cost ~2.5 MiB of RSS when
spread over the 2.5 MiB of glibc, libstdc++, protobuf-lite and mbedTLS they
were linked in (BENCHMARKS.md, agent footprint). This script finds the code
the agent runs and lists the input sections that hold it; the linker
script it writes puts them first, in one output section before .text.

How: bench/agent_footprint runs its six agents (http and https, backlog,
spool written and read back, idle, healthy, recorded disks of both kinds)
under valgrind's callgrind, which names every function that ran; the symbol
table gives their addresses, and the linker map (agent/vigie-agent.map) the
input sections that hold them. Function-sized sections (our code and
libstdc++ are built with -ffunction-sections) keep the list close to what
runs; glibc's and mbedTLS's objects come whole.

Run as root from the repository, after building the agent and the bench:
    bench/agent_footprint/hot_text.py [--build build] [--output agent/hot_text.ld]
Rebuild afterwards. Code that was not profiled still links and runs (it lies
after the listed code); a stale list only costs resident memory.
"""
import argparse
import bisect
import os
import re
import shlex
import subprocess
import sys
import tempfile

BENCH_ARGS = ["--runs", "1", "--cycles", "30", "--backlog-seconds", "110", "--idle-seconds", "10",
              "--write-seconds", "10"]


def executed_functions(directory):
    """Names of the functions callgrind saw run, over its output files."""
    names = set()
    known = {}
    for entry in os.listdir(directory):
        if not entry.startswith("callgrind."):
            continue
        with open(os.path.join(directory, entry), errors="replace") as f:
            for line in f:
                m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
                if not m:
                    continue
                if m.group(2):
                    known[(entry, m.group(1))] = m.group(2)
                name = known.get((entry, m.group(1)))
                if name:
                    names.add(name)
    return names


def symbol_addresses(exe):
    """Addresses of the executable's code symbols, by (mangled) name."""
    listing = subprocess.run(["nm", "--defined-only", exe], check=True, capture_output=True, text=True).stdout
    addresses = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWwi":
            addresses.setdefault(parts[2], []).append(int(parts[0], 16))
    return addresses


def text_input_sections(map_path):
    """(address, size, file, section) of each code input section in the map."""
    sections = []
    output = None
    pending = None
    line_re = re.compile(r"^ (\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    with open(map_path) as f:
        for line in f:
            line = line.rstrip("\n")
            top = re.match(r"^(\.\S+)\s", line) or re.match(r"^(\.\S+)$", line)
            if top:
                output = top.group(1)
                continue
            if output not in (".text", ".text.vigie_hot"):
                continue
            only_name = re.match(r"^ (\.text\S*)$", line)
            if only_name:
                pending = only_name.group(1)
                continue
            m = line_re.match(line)
            if m:
                name = m.group(1) or pending
                pending = None
                address, size = int(m.group(2), 16), int(m.group(3), 16)
                if name and name.startswith(".text") and size and address:
                    sections.append((address, size, m.group(4).strip(), name))
    return sections


def pattern(file, section):
    """A linker-script input pattern for `section` of `file` as the map names it.

    A section named after a C++ function (-ffunction-sections) is matched in
    any file: an inline function's kept copy may come from another object in
    another build. Other sections (".text" of a glibc object, ".text.avx2")
    are matched in their own file only."""
    function = re.sub(r"^\.text\.(unlikely\.|startup\.|hot\.|exit\.)?", "", section)
    if function.startswith("_Z"):
        return f"*({section})"
    member = re.match(r"^(.*)\((.*)\)$", file)
    if member:
        archive, name = os.path.basename(member.group(1)), member.group(2)
        return f"*{archive}:{name}({section})"
    return f"*{os.path.basename(os.path.dirname(file))}/{os.path.basename(file)}({section})"


def provenance():
    """The commit, compiler and C library the list was made with: section
    names change with each, and a stale list only costs memory, silently."""
    def first_line(*command):
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[0].strip()
    commit = first_line("git", "rev-parse", "--short", "HEAD")
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "agent", "common", "proto"]).returncode != 0:
        commit += " with local changes"
    return f"{commit}, {first_line('c++', '--version')}, glibc {first_line('getconf', 'GNU_LIBC_VERSION').split()[-1]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--output", default="agent/hot_text.ld")
    args = parser.parse_args()
    exe = os.path.join(args.build, "agent", "vigie-agent")
    map_path = exe + ".map"
    bench = os.path.join(args.build, "bench", "agent_footprint", "agent_footprint")
    for path in (exe, map_path, bench):
        if not os.path.exists(path):
            sys.exit(f"{path}: missing (build vigie-agent and agent_footprint first)")

    with tempfile.TemporaryDirectory(prefix="vigie-hot-text.") as scratch:
        wrapper = os.path.join(scratch, "vigie-agent")
        with open(wrapper, "w") as f:
            out_file = shlex.quote(os.path.join(scratch, "callgrind.%p"))
            f.write(f"#!/bin/sh\nexec valgrind -q --tool=callgrind --demangle=no "
                    f"--callgrind-out-file={out_file} {shlex.quote(os.path.abspath(exe))} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        subprocess.run(["tests/hwmon/run_in_fake_sys.sh", "tests/fixtures/hosts/desktop-nct6775", bench,
                        "--agent", wrapper, *BENCH_ARGS], check=True, stdout=subprocess.DEVNULL)
        executed = executed_functions(scratch)

    addresses = symbol_addresses(exe)
    sections = sorted(text_input_sections(map_path))
    starts = [address for address, _, _, _ in sections]
    hot_indexes = set()
    unknown = 0
    for name in executed:
        if name not in addresses:
            unknown += 1
        for address in addresses.get(name, []):
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and address < sections[i][0] + sections[i][1]:
                hot_indexes.add(i)
    hot = [sections[i] for i in sorted(hot_indexes)]
    text_bytes = sum(size for _, size, _, _ in sections)
    hot_bytes = sum(size for _, size, _, _ in hot)
    with open(args.output, "w") as out:
        out.write("/* Generated by bench/agent_footprint/hot_text.py (its docstring says why and how);\n"
                  f"   {len(hot)} input sections, {hot_bytes // 1024} KiB of {text_bytes // 1024} KiB of code,\n"
                  f"   from {len(executed)} functions run.\n"
                  f"   provenance: commit {provenance()}\n"
                  f"   hot_bytes = {hot_bytes} (agent/hot_text_test.sh fails when the section falls well below) */\n")
        out.write("SECTIONS\n{\n  .text.vigie_hot :\n  {\n")
        for line in dict.fromkeys(pattern(file, section) for _, _, file, section in hot):
            out.write(f"    {line}\n")
        out.write("  }\n}\nINSERT BEFORE .text;\n")
    print(f"{args.output}: {len(hot)} input sections, {hot_bytes // 1024} KiB of {text_bytes // 1024} KiB of code; "
          f"{len(executed)} functions run, {unknown} of them not in the symbol table")


if __name__ == "__main__":
    main()
