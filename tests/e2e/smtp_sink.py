"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on 127.0.0.1 that keeps every message.

In-process (pytest): `sink = SmtpSink(); sink.start(); ... sink.code_for(email); sink.stop()`.
As a program (the browser test): `python3 smtp_sink.py DIR` prints `ready <port>` once it accepts
connections and writes each message to DIR/<n>.json as {"to": [...], "subject", "body", "code"}.
The server under test sends a code before it answers the request, so a message is in the sink by
the time the response arrives: nobody has to wait for mail.
"""
import email
import email.header
import email.policy
import json
import re
import socket
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, directory=None):
        self.messages = []
        self.lock = threading.Lock()
        self.directory = Path(directory) if directory else None
        self.port = None
        self.controller = None

    # aiosmtpd handler
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        found = CODE.search(body)
        record = {"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "subject": str(msg["subject"]),
                  "body": body, "code": found.group(1) if found else None, "raw": (envelope.original_content or b"").decode("utf-8", "replace")}
        with self.lock:
            self.messages.append(record)
            n = len(self.messages)
        if self.directory:
            tmp = self.directory / f".{n}.json"
            tmp.write_text(json.dumps(record, ensure_ascii=False))
            tmp.rename(self.directory / f"{n}.json")
        return "250 Message accepted for delivery"

    def start(self):
        for _ in range(3):
            self.port = _free_port()
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            try:
                self.controller.start()  # returns once the server accepts connections
                return self
            except Exception:  # the port was taken meanwhile
                self.controller = None
        raise RuntimeError("could not start the SMTP sink")

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m["to"]]

    def code_for(self, address):
        """The code of the latest message to `address`; fails when none came."""
        mine = self.to(address)
        assert mine, f"no mail to {address}; sink has {[m['to'] for m in self.messages]}"
        assert mine[-1]["code"], mine[-1]
        return mine[-1]["code"]


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink(out).start()
    print(f"ready {sink.port}", flush=True)
    try:
        sys.stdin.read()  # runs until stdin closes (the parent exits or closes it)
    finally:
        sink.stop()
