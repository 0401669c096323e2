# SPDX-License-Identifier: GPL-2.0
"""The two halves of scripts/stages/send-test.sh (python3 -m kvmbench.mails;
Debian's /usr/bin/python3, whose dist-packages hold aiosmtpd).

serve: a local SMTP server (Debian's python3-aiosmtpd, so run it with
/usr/bin/python3) on 127.0.0.1, a free port written to --port-file.  It
offers STARTTLS with --cert/--key, refuses MAIL before STARTTLS and before
AUTH (PLAIN or LOGIN, only --user/--password), and saves every message as
NNN.eml (the message received, with LF line ends) and NNN.json (envelope:
MAIL FROM, RCPT TO, TLS version, AUTH user and mechanism) in --dir.
SIGTERM stops it, and so does the end of its parent process or --timeout.

check: reads those mails as a maintainer's tools would and prints one line
per check, "ok DESC" or "not ok DESC: why", for write_ktap.  Exits 0.
"""
import argparse
import email
import email.policy
import email.utils
import json
import os
import re
import signal
import sys
from pathlib import Path


def serve(args):
    import asyncio
    import logging
    import ssl

    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # aiosmtpd 1.4 sets its own deprecated Session.login_data on every AUTH
    # and warns about it: noise.
    logging.getLogger("mail.log").addFilter(
        lambda r: "login_data is deprecated" not in r.getMessage())
    outdir = Path(args.dir)
    outdir.mkdir(parents=True, exist_ok=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == args.user.encode()
              and auth_data.password == args.password.encode())
        print(f"serve: AUTH {mechanism} {'accepted' if ok else 'refused'}",
              file=sys.stderr)
        if not ok:
            # handled=False: aiosmtpd answers 535 (True would mean we had).
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data={
            "user": auth_data.login.decode(), "mechanism": mechanism})

    class Handler:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Handler.count += 1
            ssl_object = server.transport.get_extra_info("ssl_object")
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": ssl_object.version() if ssl_object else None,
                "auth": session.auth_data if session.authenticated else None,
            }
            base = outdir / f"{Handler.count:03d}"
            # The .eml last, renamed into place: a reader sees whole mails.
            base.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
            tmp = base.with_suffix(".tmp")
            # As a local delivery agent stores it: LF line ends, not CRLF.
            tmp.write_bytes(envelope.original_content.replace(b"\r\n", b"\n"))
            tmp.rename(base.with_suffix(".eml"))
            print(f"serve: {base.name}.eml from {envelope.mail_from}, "
                  f"{len(envelope.rcpt_tos)} recipients", file=sys.stderr)
            return "250 OK"

    handler = Handler()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return SMTP(handler, loop=loop, hostname="localhost",
                    tls_context=ctx, require_starttls=True,
                    auth_required=True, auth_require_tls=True,
                    authenticator=authenticator)

    server = loop.run_until_complete(
        loop.create_server(factory, host="127.0.0.1", port=0))
    port = server.sockets[0].getsockname()[1]
    tmp = Path(args.port_file + ".tmp")
    tmp.write_text(f"{port}\n")
    tmp.rename(args.port_file)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, loop.stop)
    # Never outlive the script that started it (even if it was killed with
    # SIGKILL), nor run longer than --timeout seconds.
    parent = os.getppid()
    deadline = loop.time() + args.timeout

    def watchdog():
        if os.getppid() != parent or loop.time() > deadline:
            print("serve: parent gone or timeout, stopping", file=sys.stderr)
            loop.stop()
        else:
            loop.call_later(1, watchdog)

    watchdog()
    loop.run_forever()
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()
    return 0


def read_mail(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def addresses(msg, name):
    """The addresses (lower case) of every header NAME of MSG."""
    values = [str(v) for v in msg.get_all(name, [])]
    return {a.lower() for _, a in email.utils.getaddresses(values) if a}


def ident(value):
    """'Name <addr>' of one address, whatever its quoting or encoding."""
    name, addr = email.utils.parseaddr(str(value))
    return f"{name} <{addr.lower()}>"


def subject(msg):
    return " ".join(str(msg.get("Subject", "")).split())


def body_text(msg):
    part = msg.get_body(("plain",)) or msg
    return part.get_content() if part.get_content_maintype() == "text" else ""


def signoffs(text):
    # The commit message: what precedes the first "---" line.
    log = re.split(r"^---$", text, maxsplit=1, flags=re.M)[0]
    return re.findall(r"^Signed-off-by:\s*(.+?)\s*$", log, flags=re.M)


def check(args):
    results = []

    def result(ok, desc, why=""):
        results.append(f"ok {desc}" if ok else f"not ok {desc}: {why}")

    recv = Path(args.dir)
    names = sorted(recv.glob("*.eml"))
    mails = [read_mail(p) for p in names]
    metas = []
    for p in names:
        try:
            metas.append(json.loads(p.with_suffix(".json").read_text()))
        except (OSError, ValueError) as e:
            metas.append({"error": str(e)})
    series = sorted(Path(args.series).glob("*.patch"))
    covers = [p for p in series if p.name.endswith("0000-cover-letter.patch")]
    patches = [p for p in series if p not in covers]
    want_subjects = [subject(read_mail(p)) for p in covers + patches]
    sender = ident(args.sender)
    sender_addr = email.utils.parseaddr(args.sender)[1].lower()
    ccs = set()
    for f in (Path(args.maintainers), Path(args.cc_file)):
        for line in (f.read_text() if f.exists() else "").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                ccs.add(email.utils.parseaddr(line)[1].lower())
    ccs.discard(args.to.lower())
    names_of = [p.name for p in names]

    # count: proven with SEND_TEST_MUTATE='rm 004.eml 004.json'.
    got = [subject(m) for m in mails]
    n = len(patches) + len(covers)
    bad = [f"{i + 1}: {g!r}" for i, (g, w) in enumerate(zip(got, want_subjects)) if g != w]
    result(len(mails) == n and not bad,
           f"count: {len(patches)} patches + cover letter received, in order",
           f"{len(mails)} mails for {n} files" if len(mails) != n
           else "subjects differ from series/: " + "; ".join(bad))

    # transport: proven with SEND_TEST_MUTATE='sed -i s/TLSv1.3/null/ 001.json'
    # and 'sed -i s/bench-test/other/ 002.json'.
    bad = [p.name for p, m in zip(names, metas)
           if not str(m.get("tls")).startswith("TLSv1.")
           or (m.get("auth") or {}).get("user") != args.user]
    result(mails and not bad, "transport: every mail over STARTTLS, after AUTH as the test user",
           f"not over TLS or not authenticated: {' '.join(bad) or 'no mails'}")

    # to: proven with SEND_TEST_MUTATE='sed -i "s/^To:.*/To: kvm@example.org/" 002.eml'.
    bad = [f"{nm}: {sorted(addresses(m, 'To'))}" for nm, m in zip(names_of, mails)
           if addresses(m, "To") != {args.to.lower()}]
    result(mails and not bad, f"to: To: {args.to} on every mail", "; ".join(bad) or "no mails")

    # cc: proven with SEND_TEST_MUTATE='sed -i /graf@amazon.com/d 003.eml'
    # (and by an empty mail/cc.txt: the Cc's it lists go missing).
    bad = [f"{nm} lacks {' '.join(sorted(ccs - addresses(m, 'Cc')))}"
           for nm, m in zip(names_of, mails) if not ccs <= addresses(m, "Cc")]
    result(mails and ccs and not bad,
           f"cc: Cc: the {len(ccs)} addresses of get_maintainer.pl and mail/cc.txt on every mail",
           "; ".join(bad) or "no mails or no addresses")

    # from: proven with SEND_TEST_MUTATE='sed -i "s/^From: Test/From: Tess/" 001.eml'.
    bad = [f"{nm}: {m.get('From')}" for nm, m in zip(names_of, mails)
           if [ident(v) for v in m.get_all("From", [])] != [sender]]
    result(mails and not bad, f"from: From: {args.sender} on every mail",
           "; ".join(bad) or "no mails")

    # signoff: proven with SEND_TEST_MUTATE='sed -i "s/^Signed-off-by: Test Sender/&X/" 004.eml'.
    bad = []
    for nm, m, p in zip(names_of[1:], mails[1:], patches):
        got_sob = [ident(s) for s in signoffs(body_text(m))]
        want_n = len(signoffs(body_text(read_mail(p))))
        if not got_sob or got_sob.count(sender) != len(got_sob) or len(got_sob) != want_n:
            bad.append(f"{nm}: {got_sob} (series has {want_n})")
    result(len(mails) > 1 and not bad, "signoff: every Signed-off-by: of every patch is the sender's",
           "; ".join(bad) or "no patches")

    # placeholder: proven with a trailer naming it (git send-email would Cc
    # it too): SEND_TEST_MUTATE='sed -i "0,/^Signed-off-by:/s//Reviewed-by:
    # $PLACEHOLDER\n&/" 002.eml'.
    needles = [s.lower() for s in (args.placeholder,
                                   email.utils.parseaddr(args.placeholder)[1]) if s]
    bad = [p.name for p in names
           if any(s in (p.read_bytes() + p.with_suffix(".json").read_bytes())
                  .decode("utf-8", "replace").lower() for s in needles)]
    result(mails and needles and not bad,
           f"placeholder: {args.placeholder} in no mail and no envelope",
           f"found in {' '.join(bad)}" if bad else "no mails or no placeholder")

    # thread: proven with SEND_TEST_MUTATE='sed -i "/^In-Reply-To:/d" 003.eml'.
    bad = []
    if mails:
        root = str(mails[0].get("Message-ID", "")).strip()
        ids = [str(m.get("Message-ID", "")).strip() for m in mails]
        if not root or mails[0].get("In-Reply-To") or mails[0].get("References"):
            bad.append(f"{names_of[0]} (cover letter) is not a thread root")
        if len(set(ids)) != len(ids):
            bad.append("Message-IDs not unique")
        for nm, m in zip(names_of[1:], mails[1:]):
            if (str(m.get("In-Reply-To", "")).strip() != root
                    or root not in str(m.get("References", "")).split()):
                bad.append(f"{nm} not in reply to {root}")
    result(len(mails) > 1 and not bad,
           "thread: every patch In-Reply-To and References the cover letter's Message-ID",
           "; ".join(bad) or "fewer than 2 mails")

    # envelope: proven with SEND_TEST_MUTATE='sed -i /jmattson/d 002.json'.
    bad = []
    for nm, m, meta in zip(names_of, mails, metas):
        rcpt = {a.lower() for a in meta.get("rcpt_tos", [])}
        missing = (addresses(m, "To") | addresses(m, "Cc")) - rcpt
        if missing or str(meta.get("mail_from", "")).lower() != sender_addr:
            bad.append(f"{nm}: MAIL FROM {meta.get('mail_from')}, RCPT TO lacks {sorted(missing)}")
    result(mails and not bad, "envelope: MAIL FROM is the sender, RCPT TO has every To and Cc address",
           "; ".join(bad) or "no mails")

    for r in results:
        print(r)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--port-file", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password", default=os.environ.get("SMTP_TEST_PASS", ""))
    s.add_argument("--timeout", type=float, default=600)
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True, help="the server's NNN.eml and NNN.json")
    c.add_argument("--series", required=True, help="the series directory that was sent")
    c.add_argument("--maintainers", required=True, help="what get_maintainer.pl printed")
    c.add_argument("--cc-file", required=True, help="mail/cc.txt")
    c.add_argument("--sender", required=True)
    c.add_argument("--placeholder", required=True, help="the committed series' identity")
    c.add_argument("--user", required=True, help="the SMTP AUTH user")
    c.add_argument("--to", default="kvm@vger.kernel.org")
    args = ap.parse_args()
    return serve(args) if args.cmd == "serve" else check(args)


if __name__ == "__main__":
    sys.exit(main())
