#!/usr/bin/env python3
"""Runs a command and reports the largest resident set of it and its descendants.

    max_rss.py COMMAND [ARGS...]

The command's stdout and stderr pass through; the last line on stderr is
MAX_RSS_KB=<n> (getrusage(RUSAGE_CHILDREN).ru_maxrss of this fresh process, so
nothing measured before counts). Exits with the command's exit code.
"""
import resource
import subprocess
import sys

result = subprocess.run(sys.argv[1:])
print(f"MAX_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(result.returncode)
