#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a git format-patch file's commit message the way the x86 KVM
maintainers read one: a known subject prefix, an imperative subject that
starts with a capital, a body wrapped at 75 columns, a Signed-off-by that
matches From:, well-formed Fixes: tags, and no "This patch".  Prints one line
per finding and exits 1 if there is any.
"""
import email
import email.header
import email.policy
import re
import sys

PREFIXES = ("KVM: x86:", "KVM: x86/mmu:", "KVM: x86/pmu:", "KVM: SVM:",
            "KVM: VMX:", "KVM: nVMX:", "KVM: nSVM:", "KVM: selftests:",
            "KVM: Documentation:", "KVM: x86: selftests:")
WIDTH = 75


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    subject = " ".join(str(msg["Subject"]).split())
    subject = re.sub(r"^\[[^]]*\]\s*", "", subject)
    sender = str(msg["From"])
    body = msg.get_payload(decode=True).decode("utf-8", "replace")
    log = body.split("\n---\n", 1)[0]
    problems = []

    prefix = next((p for p in PREFIXES if subject.startswith(p + " ")), None)
    if not prefix:
        problems.append(f"subject has no KVM prefix ({', '.join(PREFIXES[:3])}...): {subject}")
    else:
        words = subject[len(prefix):].split()
        first = words[0] if words else ""
        if not first[:1].isupper():
            problems.append(f"subject must start with a capital after '{prefix}': {first}")
        low = first.lower()
        if re.search(r"(ed|ing)$", low) or (low.endswith("s") and not low.endswith("ss")):
            problems.append(f"subject is not imperative ('{first}'): {subject}")
    if len(subject) > WIDTH:
        problems.append(f"subject is {len(subject)} columns, over {WIDTH}")

    lines = log.splitlines()
    for n, line in enumerate(lines, 1):
        if len(line) > WIDTH and not re.match(r"^\s|.*https?://|^[\w-]+: ", line):
            problems.append(f"body line {n} is {len(line)} columns, over {WIDTH}: {line[:40]}...")
        if re.search(r"\bthis (patch|commit)\b", line, re.I):
            problems.append(f"body line {n} says 'this patch'; describe the change in the imperative")
        if line.startswith("Fixes:") and not re.match(r'^Fixes: [0-9a-f]{12,40} \(".+"\)$', line):
            problems.append(f"malformed Fixes: tag: {line}")
    if not lines or not any(l.strip() for l in lines if not l.startswith("Signed-off-by:")):
        problems.append("empty commit message body")

    addr = email.utils.parseaddr(sender)
    sobs = [email.utils.parseaddr(l.split(":", 1)[1].strip())
            for l in lines if l.startswith("Signed-off-by:")]
    if not sobs:
        problems.append("no Signed-off-by")
    elif addr[1] not in [s[1] for s in sobs]:
        problems.append(f"no Signed-off-by from the author {sender}")

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
