# SPDX-License-Identifier: GPL-2.0
"""The bench's Python, one package, run as python3 -m kvmbench.MODULE with
scripts/ on PYTHONPATH (scripts/lib.sh exports it).

    plan          the test lists' reader: a run's plan
    boot          the boot runner (QEMU and Bochs) and its record/replay rule
    cache         the cache rule: keys, entries, the self-test
    ktap          the KTAP reader and writer, the console's parser
    report        verdicts and the table of a run (make, make debug)
    bench_report  make bench's ratios
    cover_letter  make series' "How tested"
    mails         the send test's SMTP server and mail checks
    commit_msg    the gates' commit message check
    breaks        the broken series the gates' self-test feeds them
    knobs         make help and the README's table of knobs
    unittests     make unittest
"""
