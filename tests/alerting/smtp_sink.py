#!/usr/bin/python3
"""An SMTP server for the mail tests, built on Debian's python3-aiosmtpd:
STARTTLS (required when --cert is given) and AUTH (required when --user is
given), on 127.0.0.1 and an ephemeral port. Each accepted message is written
to --out as N.eml (the bytes received) and N.json (envelope, TLS, login).

Prints "listening on 127.0.0.1:PORT" on stderr once ready.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None, "login": getattr(session, "login_data", None)}
        with open(base + ".json", "w") as f:
            json.dump(meta, f, default=lambda b: b.decode() if isinstance(b, bytes) else str(b))
        os.rename(base + ".eml.tmp", base + ".eml")
        print("stored %s.eml" % base, file=sys.stderr, flush=True)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    tls_context = None
    if args.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user
              and auth_data.password.decode() == args.password)
        # handled=False: aiosmtpd then answers 535 itself.
        return AuthResult(success=ok, handled=False)

    sink = Sink(args.out)

    def factory():
        return SMTP(sink, hostname="smtp.test.invalid", tls_context=tls_context,
                    require_starttls=tls_context is not None,
                    auth_required=args.user is not None, auth_require_tls=tls_context is not None,
                    authenticator=authenticator if args.user else None)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=0))
    port = server.sockets[0].getsockname()[1]
    print("listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
