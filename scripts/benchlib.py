#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small readers the bench's Python shares (the KTAP ones are in ktap.py,
the test lists' in testlist.py)."""
import os


def read_env(path):
    """A KEY=VALUE file such as scripts/stages/fetch-base.sh's source.env
    (values may be double-quoted); {} if PATH is empty or missing."""
    env = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    env[k] = v.strip('"')
    return env


def read_timings(path):
    """The stage timings a pipeline wrote (NAME, SECONDS, STATUS a line)."""
    timings = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    timings.append({"stage": parts[0], "seconds": float(parts[1]),
                                    "status": parts[2]})
    return timings
