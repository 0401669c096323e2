# SPDX-License-Identifier: GPL-2.0
"""The bench's one cache rule (docs/caching.md).

An entry is $CACHE/store/KIND/KEY/: what a step made (a bzImage, a console
log, a KTAP file) and inputs.tsv, the inputs its key was made of.  A key is
the sha256 of its inputs, each a LABEL=VALUE word:

    LABEL=@PATH    a file, by content (a missing file is an error)
    LABEL=TEXT     a string (a commit id, a tool's version, a command line)

The script that uses the cache is always an input (--script, recorded as
script=@PATH), so a change to the code that made an entry is a miss.  A
lookup either reuses an entry and prints the one reuse line

    reused KIND KEY: WHAT (N inputs unchanged, see .../inputs.tsv); NO_RUN_CACHE=1 reruns

or misses and says which inputs differ from the last entry of its slot.
NO_RUN_CACHE=1 makes every lookup miss.  Each KIND keeps its newest
entries (MAX_ENTRIES), by the time they were last used.

    python3 -m kvmbench.cache get --script PATH [--slot S] [--what TEXT] KIND INPUT...
        prints the entry's directory; exit 0 if it holds an entry, 1 if not
    python3 -m kvmbench.cache put DIR FILE...
        stores FILEs (copied) as the entry at DIR, made by a get that missed
    python3 -m kvmbench.cache selftest
        for the newest entry of each KIND: the same inputs hit, and each
        input changed alone (a file's copy with a byte more, a string with
        more text) misses; every entry names its script.  KTAP.
"""
import hashlib
import os
import shutil
import sys
import tempfile

MAX_ENTRIES = {"initramfs": 16, "kernel": 16}
DEFAULT_MAX = 200


def root():
    return os.path.join(os.environ.get("CACHE") or "cache", "store")


def parse_input(word):
    """LABEL=VALUE -> (label, kind, value); kind "file" or "text"."""
    label, sep, value = word.partition("=")
    if not sep or not label or "\t" in word or "\n" in word:
        raise ValueError(f"cache input '{word}': want LABEL=@FILE or LABEL=TEXT")
    if value.startswith("@"):
        return label, "file", value[1:]
    return label, "text", value


def digest(kind, value):
    if kind == "file":
        if not os.path.isfile(value):
            raise ValueError(f"cache input file {value} does not exist")
        h = hashlib.sha256()
        with open(value, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    return hashlib.sha256(value.encode()).hexdigest()


def inputs_of(script, words):
    """[(label, kind, value, digest)], the script first."""
    rows = []
    for word in [f"script=@{script}"] + list(words):
        label, kind, value = parse_input(word)
        rows.append((label, kind, value, digest(kind, value)))
    labels = [r[0] for r in rows]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ValueError(f"cache inputs with the same label: {' '.join(dup)}")
    return rows


def key_of(kind, rows):
    """The key: the kind, then each input's label and content digest (not
    its path: the same content under another path is the same input)."""
    h = hashlib.sha256(f"kind\t{kind}\n".encode())
    for label, _, _, d in rows:
        h.update(f"{label}\t{d}\n".encode())
    return h.hexdigest()[:16]


def write_inputs(path, rows):
    with open(path, "w") as f:
        for label, kind, value, d in rows:
            f.write(f"{label}\t{kind}\t{value}\t{d}\n")


def read_inputs(path):
    rows = []
    with open(path) as f:
        for line in f:
            label, kind, value, d = line.rstrip("\n").split("\t")
            rows.append((label, kind, value, d))
    return rows


def complete(d):
    return os.path.isfile(os.path.join(d, "inputs.tsv"))


def get(kind, script, words, slot="", what="", quiet=False):
    """Look up an entry: (hit, its directory)."""
    rows = inputs_of(script, words)
    key = key_of(kind, rows)
    d = os.path.join(root(), kind, key)
    where = os.path.join(d, "inputs.tsv")
    if complete(d) and not os.environ.get("NO_RUN_CACHE"):
        os.utime(d)
        if not quiet:
            print(f"reused {kind} {key}: {what or 'recorded result'} "
                  f"({len(rows)} inputs unchanged, see {where}); NO_RUN_CACHE=1 reruns",
                  file=sys.stderr)
        return True, d
    # A miss: say what changed since this slot's last entry.
    why = "NO_RUN_CACHE set" if os.environ.get("NO_RUN_CACHE") else "no entry"
    last = os.path.join(root(), kind, "slot-" + slot.replace("/", "_")) if slot else ""
    if last and os.path.isfile(last) and not os.environ.get("NO_RUN_CACHE"):
        try:
            old = {r[0]: r[3] for r in read_inputs(last)}
            changed = [r[0] for r in rows if old.get(r[0]) != r[3]]
            changed += [x for x in old if x not in {r[0] for r in rows}]
            if changed:
                why = "changed since the last one: " + ", ".join(changed)
        except (OSError, ValueError):
            pass
    if not quiet:
        print(f"miss {kind} {key}: {what or 'no recorded result'} ({why})", file=sys.stderr)
    os.makedirs(os.path.join(root(), kind), exist_ok=True)
    pending = d + ".pending"
    with open(pending, "w") as f:
        f.write(slot + "\n")
    write_inputs(pending + ".tsv", rows)
    return False, d


def put(d, files):
    """Store FILES as the entry D (after a get that missed)."""
    pending = d + ".pending"
    if not os.path.isfile(pending) or not os.path.isfile(pending + ".tsv"):
        raise ValueError(f"no pending lookup for {d}: call get first")
    with open(pending) as f:
        slot = f.read().strip()
    tmp = tempfile.mkdtemp(dir=os.path.dirname(d), prefix=".new-")
    for src in files:
        shutil.copy2(src, os.path.join(tmp, os.path.basename(src)))
    shutil.copy(pending + ".tsv", os.path.join(tmp, "inputs.tsv"))
    if os.path.exists(d):
        shutil.rmtree(d)
    os.rename(tmp, d)
    if slot:
        shutil.copy(pending + ".tsv",
                    os.path.join(os.path.dirname(d), "slot-" + slot.replace("/", "_")))
    os.unlink(pending)
    os.unlink(pending + ".tsv")
    prune(os.path.dirname(d), MAX_ENTRIES.get(os.path.basename(os.path.dirname(d)), DEFAULT_MAX))


def entries(kind_dir):
    """A kind's entries, newest use first."""
    out = []
    for name in os.listdir(kind_dir):
        d = os.path.join(kind_dir, name)
        if len(name) == 16 and os.path.isdir(d) and complete(d):
            out.append((os.stat(d).st_mtime, d))
    return [d for _, d in sorted(out, reverse=True)]


def prune(kind_dir, keep):
    for d in entries(kind_dir)[keep:]:
        shutil.rmtree(d, ignore_errors=True)


def selftest(store=None):
    """KTAP lines: for each kind's newest entry, a lookup with the same
    inputs hits and one with any single input changed misses."""
    store = store or root()
    results = []
    kinds = sorted(k for k in os.listdir(store)
                   if os.path.isdir(os.path.join(store, k))) if os.path.isdir(store) else []
    for kind in kinds:
        newest = entries(os.path.join(store, kind))
        if not newest:
            continue
        d = newest[0]
        key = os.path.basename(d)
        rows = read_inputs(os.path.join(d, "inputs.tsv"))
        problems = []
        if not rows or rows[0][0] != "script" or rows[0][1] != "file":
            problems.append("its first input is not the script that uses it")
        gone = [r[2] for r in rows if r[1] == "file" and not os.path.isfile(r[2])]
        if gone:
            results.append((None, f"cache {kind}: newest entry {key}",
                            f"its input files are gone ({gone[0]}...)"))
            continue
        try:
            same = key_of(kind, [(lb, k, v, digest(k, v)) for lb, k, v, _ in rows])
        except ValueError as e:
            problems.append(str(e))
            same = None
        if same is not None and same != key:
            problems.append("the same inputs (as they are now) give key " + same)
        with tempfile.TemporaryDirectory() as t:
            for i, (label, k, value, _) in enumerate(rows):
                changed = list(rows)
                if k == "file":
                    copy = os.path.join(t, f"{i}-{os.path.basename(value)}")
                    shutil.copy(value, copy)
                    with open(copy, "ab") as f:
                        f.write(b"\n")
                    changed[i] = (label, k, copy, digest(k, copy))
                else:
                    changed[i] = (label, k, value + "+", digest(k, value + "+"))
                other = key_of(kind, changed)
                if other == key or complete(os.path.join(store, kind, other)):
                    problems.append(f"changing {label} still hits")
        results.append((not problems, f"cache {kind}: the newest entry's {len(rows)} inputs "
                        "each change its key, the script among them", "; ".join(problems)))
    if not results:
        results.append((False, "cache: entries to test", f"none under {store}"))
    return results


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m kvmbench.cache")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("get")
    g.add_argument("kind")
    g.add_argument("--script", required=True)
    g.add_argument("--slot", default="")
    g.add_argument("--what", default="")
    g.add_argument("inputs", nargs="*")
    p = sub.add_parser("put")
    p.add_argument("dir")
    p.add_argument("files", nargs="*")
    s = sub.add_parser("selftest")
    s.add_argument("--ktap")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "get":
            hit, d = get(a.kind, a.script, a.inputs, a.slot, a.what)
            print(d)
            return 0 if hit else 1
        if a.cmd == "put":
            put(a.dir, a.files)
            return 0
    except ValueError as e:
        print(f"error: cache: {e}", file=sys.stderr)
        return 2
    from . import ktap
    res = selftest()
    text = ktap.format_ktap(res)
    if a.ktap:
        with open(a.ktap, "w") as f:
            f.write(text)
    sys.stdout.write(text)
    return 0 if all(r[0] is not False for r in res) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
