# SPDX-License-Identifier: GPL-2.0
"""python3 -m kvmbench.commit_msg PATCH: check what checkpatch.pl (the checkpatch gate, --strict) does not in a
git format-patch file's commit message, the way the x86 KVM maintainers
read one: a known KVM subject prefix, then an imperative subject that
starts with a capital.  Line length, Signed-off-by against From:, the
Fixes: format and "This patch" are checkpatch's (COMMIT_LOG_LONG_LINE,
NO_AUTHOR_SIGN_OFF, BAD_FIXES_TAG, COMMIT_MESSAGE...).  Prints one line per
finding and exits 1 if there is any.
"""
import email
import email.policy
import re
import sys

PREFIXES = ("KVM: x86:", "KVM: x86/mmu:", "KVM: x86/pmu:", "KVM: SVM:",
            "KVM: VMX:", "KVM: nVMX:", "KVM: nSVM:", "KVM: selftests:",
            "KVM: Documentation:", "KVM: x86: selftests:")


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    subject = " ".join(str(msg["Subject"]).split())
    subject = re.sub(r"^\[[^]]*\]\s*", "", subject)
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

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
