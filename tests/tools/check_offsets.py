#!/usr/bin/env python3
"""Fails if a PHP struct offset is written as a literal outside the offsets table.

Every offset into a PHP structure comes from one place: the per-version table
(userspace/target/php_offsets.cpp) or the heap layout read from the binary's code
(userspace/target/heap_layout.cpp, userspace/heap/zend_heap_discovery.cpp), and
reaches the BPF programs through pmt_config. This scans every other file of bpf/
and userspace/ for the two ways a literal offset sneaks in:

  * a read of the target's memory whose address has `+ N` or `- N` in it
    (read_user_u64, bpf_probe_read_user[_str], read_process_memory, ...);
  * a C struct that mirrors one of PHP's (struct zend_..., struct _zend_...);
  * a field of struct pmt_php_offsets set from a number or a named constant.

Usage: check_offsets.py SOURCE_DIR   (exit 1 and one line per finding)
"""
import pathlib
import re
import sys

READERS = ("read_user_u64", "bpf_probe_read_user_str", "bpf_probe_read_user", "bpf_probe_read",
           "read_process_memory")
# Where offsets are allowed to be numbers: the table and the code that finds them.
TABLE_FILES = {"userspace/target/php_offsets.cpp", "userspace/target/heap_layout.cpp",
               "userspace/heap/zend_heap_discovery.cpp"}
LITERAL = re.compile(r"[+-]\s*(0x[0-9a-fA-F]+|\d+)\b")
MIRROR = re.compile(r"\bstruct\s+_?zend_\w+\s*\{")


def call_arguments(text, start):
    """The text of the call's arguments, from the '(' at `start` to its match."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:]


def split_top_level(args):
    parts, depth, current = [], 0, ""
    for ch in args:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    parts.append(current)
    return parts


def address_argument(name, args):
    parts = split_top_level(args)
    if name == "read_user_u64":
        return parts[0]
    if name == "read_process_memory":
        return parts[1] if len(parts) > 1 else ""
    return parts[2] if len(parts) > 2 else ""  # bpf_probe_read*(dst, size, src)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def offset_fields(root):
    header = (root / "bpf" / "phpmemtrace.h").read_text()
    body = re.search(r"struct pmt_php_offsets \{(.*?)\};", header, re.S).group(1)
    return re.findall(r"__u32\s+(\w+);", strip_comments(body))


def findings(root):
    out = []
    fields = offset_fields(root)
    assignment = re.compile(r"\.(" + "|".join(fields) + r")\s*=\s*(0x[0-9a-fA-F]+|\d+|k[A-Z]\w*)\s*;")
    files = [p for d in ("bpf", "userspace") for p in (root / d).rglob("*") if p.suffix in (".c", ".h", ".cpp")]
    for path in sorted(files):
        rel = path.relative_to(root).as_posix()
        if rel in TABLE_FILES:
            continue
        text = strip_comments(path.read_text(errors="replace"))
        for m in assignment.finditer(text):
            out.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: offset field {m.group(1)} set to {m.group(2)}")
        for m in MIRROR.finditer(text):
            out.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: a struct mirroring PHP's layout")
        for name in READERS:
            for m in re.finditer(r"\b" + name + r"\s*\(", text):
                address = address_argument(name, call_arguments(text, m.end() - 1))
                literal = LITERAL.search(address)
                if literal:
                    line = text.count("\n", 0, m.start()) + 1
                    out.append(f"{rel}:{line}: literal offset '{literal.group(0)}' in {name}({address.strip()})")
    return out


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    found = findings(root)
    for f in found:
        print(f)
    scanned = sum(1 for d in ("bpf", "userspace") for p in (root / d).rglob("*") if p.suffix in (".c", ".h", ".cpp"))
    if scanned < 20 or len(offset_fields(root)) < 20:
        print(f"check_offsets.py: only {scanned} source files under {root}: wrong folder?")
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
