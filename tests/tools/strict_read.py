#!/usr/bin/env python3
"""Reads an output file the way a strict consumer would, and prints its text.

    strict_read.py utf8 FILE   the file must decode as UTF-8 (no replacement)
    strict_read.py xml FILE    the file must be well-formed XML (expat), in UTF-8
    strict_read.py json FILE   the file must be valid JSON (Python's parser) in UTF-8

Exits non-zero with the parser's message when the file is rejected. Used by the
runtime tests as a reader independent of phpmemtrace's own code.
"""
import json
import sys
import xml.etree.ElementTree as ElementTree


def main():
    mode, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8", errors="strict")
        if mode == "xml":
            ElementTree.fromstring(data)
        elif mode == "json":
            json.loads(text)
        elif mode != "utf8":
            raise SystemExit(f"unknown mode {mode}")
    except (UnicodeDecodeError, ElementTree.ParseError, json.JSONDecodeError) as e:
        print(f"{path}: rejected: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
