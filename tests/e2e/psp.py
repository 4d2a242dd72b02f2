"""Starts tests/psp_standin.py (the payment provider's stand-in) for the e2e tests: https with a
certificate made here by `openssl req`, and the environment a pension720 server needs to use it."""
import subprocess
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "test_sk_standin_0123456789"


def make_cert(directory, name="psp"):
    """A self-signed certificate for localhost; returns (cert, key) paths."""
    cert, key = Path(directory) / f"{name}.crt", Path(directory) / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True, timeout=60)
    return cert, key


class Psp:
    def __init__(self, directory, secret_key=SECRET_KEY, tls=True):
        self.dir = Path(directory)
        self.secret_key = secret_key
        self.tls = tls
        self.proc = None
        self.port = None
        self.cert = self.key = None

    def start(self):
        cmd = [sys.executable, str(REPO / "tests" / "psp_standin.py"), "--secret-key", self.secret_key]
        if self.tls:
            self.cert, self.key = make_cert(self.dir)
            cmd += ["--cert", str(self.cert), "--key", str(self.key)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = int(self.proc.stdout.readline())  # the stand-in prints its port once it listens
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://localhost:{self.port}"

    def env(self, **extra):
        """The server settings that point pension720 at this stand-in."""
        e = {"PENSION_PSP_URL": self.url, "PENSION_PSP_SECRET_KEY": self.secret_key, "PENSION_PSP_TIMEOUT": "2",
             "PENSION_PSP_RECONCILE_SECONDS": "0"}
        if self.cert:
            e["PENSION_PSP_CA_FILE"] = str(self.cert)
        e.update(extra)
        return e

    def _control(self, path, body=None):
        r = requests.request("GET" if body is None else "POST", self.url + path, json=body, timeout=10,
                             verify=str(self.cert) if self.cert else True)
        assert r.status_code == 200, r.text
        return r.json()

    def mode(self, mode, **extra):
        """How the next confirms are answered (see psp_standin.py)."""
        self._control("/control", {"mode": mode, "pay": False, **extra})

    def lookups(self, how):
        """'answer' or 'hang': how read-backs of orders are answered."""
        self._control("/control", {"lookup": how})

    def release(self):
        self._control("/control/release", {})

    def stats(self):
        return self._control("/control/stats")
