#!/usr/bin/env python3
"""Keeps the first records of a record stream (bench/tools/record_stream.h) that fit
in a byte budget, plus up to a few records of every kind met later: a fuzz seed
must be small (each run replays it all), yet show every kind of record.

    trim_record_stream.py IN OUT [BUDGET_BYTES]

Only the framing is read (u32 size, u32 zero, bytes padded to 8) and the kind
(the record's first u16); the records themselves are copied as captured.
"""
import struct
import sys

MAGIC = b"PMTREC1\n"
LATE_PER_KIND = 4


def records(data):
    pos = len(MAGIC)
    while pos + 8 <= len(data):
        size, _ = struct.unpack_from("<II", data, pos)
        padded = (size + 7) & ~7
        yield data[pos:pos + 8 + padded], struct.unpack_from("<H", data, pos + 8)[0]
        pos += 8 + padded


def main():
    src, dst = sys.argv[1], sys.argv[2]
    budget = int(sys.argv[3]) if len(sys.argv) > 3 else 48 * 1024
    data = open(src, "rb").read()
    if not data.startswith(MAGIC):
        sys.exit(f"{src}: not a record stream")
    out, used, late = [MAGIC], len(MAGIC), {}
    for framed, kind in records(data):
        if used + len(framed) <= budget:
            out.append(framed)
            used += len(framed)
        elif late.get(kind, 0) < LATE_PER_KIND and len(framed) <= 8 * 1024:
            late[kind] = late.get(kind, 0) + 1
            out.append(framed)
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    main()
