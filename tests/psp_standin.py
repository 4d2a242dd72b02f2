#!/usr/bin/env python3
"""Payment-provider stand-in for the tests: speaks Toss Payments' confirm API as documented.

  POST /v1/payments/confirm            {paymentKey, orderId, amount} -> 200 Payment | 4xx {code, message}
  GET  /v1/payments/orders/{orderId}   -> 200 Payment | 404 {code: NOT_FOUND_PAYMENT, message}

Both need HTTP Basic with the secret key as user name and an empty password (401 UNAUTHORIZED_KEY
otherwise). Behaviour of the next confirms is switched through a control endpoint (no auth; for
tests only):

  POST /control {"mode": "approve" | "refuse" | "hang" | "lost", "code": ..., "message": ...,
                 "status": 400, "lookup": "answer" | "hang", "pay": false}
      approve  the payment is made (status DONE) and answered
      refuse   nothing is paid; answered with {code, message} and `status`; read back as ABORTED
      hang     nothing is paid (with "pay": true, the payment is made first); the request is never
               answered (until /control/release)
      lost     the payment is made, then the connection is closed without an answer
      lookup   "hang": reads back (GET /v1/payments/orders/…) are never answered either
  POST /control/release   wakes every hanging request (they then close without an answer)
  GET  /control/stats     {"confirms": n, "lookups": n, "payments": {orderId: Payment}}

Usage: psp_standin.py --secret-key KEY [--port 0] [--cert C --key K]; prints the port it listens
on as its first line of output. With --cert/--key it serves https.
"""
import argparse
import base64
import json
import ssl
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KST = timezone(timedelta(hours=9))


class State:
    def __init__(self, secret_key):
        self.lock = threading.Lock()
        self.secret_key = secret_key
        self.mode = {"mode": "approve", "code": "REJECT_CARD_PAYMENT",
                     "message": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.", "status": 400, "lookup": "answer",
                     "pay": False}
        self.payments = {}  # orderId -> Payment
        self.confirms = 0
        self.lookups = 0
        self.release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "psp-standin"

    def log_message(self, fmt, *args):  # quiet: the tests read /control/stats instead
        pass

    @property
    def state(self):
        return self.server.state

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _send(self, status, obj):
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self):
        expected = "Basic " + base64.b64encode((self.state.secret_key + ":").encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(401, {"code": "UNAUTHORIZED_KEY", "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."})
            return False
        return True

    def _hang(self):
        """Never answers (until released), then drops the connection."""
        self.state.release.wait(timeout=300)
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def do_GET(self):
        if self.path == "/control/stats":
            with self.state.lock:
                return self._send(200, {"confirms": self.state.confirms, "lookups": self.state.lookups,
                                        "payments": dict(self.state.payments)})
        prefix = "/v1/payments/orders/"
        if not self.path.startswith(prefix):
            return self._send(404, {"code": "NOT_FOUND", "message": "없는 경로입니다."})
        if not self._authorised():
            return
        order_id = self.path[len(prefix):]
        with self.state.lock:
            self.state.lookups += 1
            lookup = self.state.mode["lookup"]
            payment = self.state.payments.get(order_id)
        if lookup == "hang":
            return self._hang()
        if payment is None:
            return self._send(404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."})
        return self._send(200, payment)

    def do_POST(self):
        body = self._body()
        if self.path == "/control":
            with self.state.lock:
                self.state.mode.update(body or {})
                self.state.release.clear()
                return self._send(200, self.state.mode)
        if self.path == "/control/release":
            self.state.release.set()
            return self._send(200, {"released": True})
        if self.path != "/v1/payments/confirm":
            return self._send(404, {"code": "NOT_FOUND", "message": "없는 경로입니다."})
        if not self._authorised():
            return
        if not isinstance(body, dict) or not isinstance(body.get("paymentKey"), str) \
                or not isinstance(body.get("orderId"), str) or not isinstance(body.get("amount"), int):
            return self._send(400, {"code": "INVALID_REQUEST", "message": "잘못된 요청입니다."})
        order_id = body["orderId"]
        with self.state.lock:
            self.state.confirms += 1
            mode = dict(self.state.mode)
            existing = self.state.payments.get(order_id)
            if existing is not None and existing["status"] == "DONE":
                answer = (400, {"code": "ALREADY_PROCESSED_PAYMENT", "message": "이미 처리된 결제 입니다."})
            elif mode["mode"] in ("approve", "lost") or (mode["mode"] == "hang" and mode.get("pay")):
                payment = {"paymentKey": body["paymentKey"], "orderId": order_id, "orderName": "예치금 충전",
                           "status": "DONE", "totalAmount": body["amount"], "balanceAmount": body["amount"],
                           "method": "카드", "approvedAt": datetime.now(KST).isoformat(timespec="seconds")}
                self.state.payments[order_id] = payment
                answer = (200, payment)
            elif mode["mode"] == "refuse":
                self.state.payments[order_id] = {"paymentKey": body["paymentKey"], "orderId": order_id,
                                                 "status": "ABORTED", "totalAmount": body["amount"],
                                                 "method": "카드", "approvedAt": None}
                answer = (int(mode["status"]), {"code": mode["code"], "message": mode["message"]})
            else:
                answer = None  # hang
        if mode["mode"] == "hang":
            return self._hang()
        if mode["mode"] == "lost" and answer[0] == 200:
            # The payment was made; the answer never reaches the caller.
            self.close_connection = True
            self.connection.shutdown(2)
            return
        return self._send(*answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.secret_key)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
