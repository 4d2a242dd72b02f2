"""docs/pension720.example.yaml: it names every key src/config.cc reads, a server started from it
serves, and a bad value stops `pension720 serve` at start with a message naming the key."""
import os
import re
import selectors
import signal
import subprocess
import threading

import pytest
import requests

from conftest import BIN, REPO, free_port, make_token

EXAMPLE = REPO / "docs" / "pension720.example.yaml"
CONFIG_CC = REPO / "src" / "config.cc"
SECRET = "config-test-secret-0123456789"


# --- the example file, read as text so comments and layout survive edits ----------------------
def _key_lines(text):
    """Yields (line index, dotted key, commented?) of every key line; a commented key is '# key: v'."""
    section = None
    for i, line in enumerate(text.splitlines()):
        top = re.match(r"^([A-Za-z][\w-]*):", line)
        if top:
            section = top.group(1)
            yield i, section, False
            continue
        top_commented = re.match(r"^# ?([a-z][\w-]*): ", line)
        if top_commented:
            yield i, top_commented.group(1), True
            continue
        nested = re.match(r"^\s+(#\s*)?([a-z][\w-]*):(\s|$)", line)
        if nested and section:
            yield i, f"{section}.{nested.group(2)}", bool(nested.group(1))


def example_keys():
    return {key: commented for _, key, commented in _key_lines(EXAMPLE.read_text())}


def with_values(**changes):
    """The example's text with some keys set (dotted keys spelled with '__' for '.', '_' for '-')."""
    lines = EXAMPLE.read_text().splitlines()
    wanted = {k.replace("__", ".").replace("_", "-"): v for k, v in changes.items()}
    for i, key, _ in list(_key_lines("\n".join(lines))):
        if key in wanted and "." in key:
            indent = re.match(r"^(\s*)", lines[i]).group(1)
            lines[i] = f"{indent}{key.split('.')[1]}: {wanted.pop(key)}"
        elif key in wanted:
            lines[i] = f"{key}: {wanted.pop(key)}"
    assert not wanted, f"keys not in the example: {list(wanted)}"
    return "\n".join(lines) + "\n"


def keys_read_by_config_cc():
    src = CONFIG_CC.read_text()
    keys = set(re.findall(r'pick\([^;]*?,\s*"([a-z][\w.-]*)"\)', src))
    keys |= set(re.findall(r'yaml_at\(yaml,\s*"([a-z][\w.-]*)"\)', src))
    assert len(keys) >= 15, keys  # the readers changed shape: update this test
    return keys


def run_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("PENSION_")}


# --- a server started from a config file -------------------------------------------------------
class ConfiguredServer:
    """`pension720 serve --config FILE` and nothing else on the command line."""

    def __init__(self, path, port):
        self.port = port
        self.lines = []
        self.proc = subprocess.Popen([BIN, "serve", "--config", str(path)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=run_env())
        self._wait_listening()
        # Keep draining the log so a chatty server never blocks on a full pipe.
        self._drain = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._drain.start()
        self._wait_healthy()

    def _wait_listening(self, max_lines=200, guard_seconds=60):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        for _ in range(max_lines):
            if not sel.select(timeout=guard_seconds):  # a guard, not a wait: the log line wakes us
                break
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if b'"listening"' in line:
                sel.close()
                return
        sel.close()
        self.stop()
        raise AssertionError(f"server did not start; log:\n{self.log()}")

    def _wait_healthy(self, attempts=50):
        for _ in range(attempts):
            try:
                if requests.get(self.url("/actuator/health"), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
        raise AssertionError(f"listening but not healthy; log:\n{self.log()}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def log(self):
        return b"".join(self.lines).decode(errors="replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# --- tests -------------------------------------------------------------------------------------
def test_example_names_every_key_config_cc_reads():
    documented = example_keys()
    missing = sorted(keys_read_by_config_cc() - set(documented))
    assert not missing, f"keys read by src/config.cc but not in {EXAMPLE.name}: {missing}"
    unknown = sorted(k for k in documented if "." in k and k not in keys_read_by_config_cc())
    assert not unknown, f"keys in {EXAMPLE.name} that src/config.cc does not read: {unknown}"


def test_example_as_shipped_is_accepted(tmp_path):
    """The file itself, with only the port and database moved, starts and serves."""
    port = free_port()
    cfg = tmp_path / "pension720.yaml"
    cfg.write_text(with_values(server__port=str(port), store__url=f'"sqlite:{tmp_path / "ex.db"}"'))
    srv = ConfiguredServer(cfg, port)
    try:
        r = requests.get(srv.url("/actuator/health"), timeout=10)
        assert r.json()["status"] == "UP", r.text
        r = requests.get(srv.url("/api/v1/pension/rounds/current"), timeout=10)
        assert r.status_code == 200 and r.json()["drawAt"].endswith("T19:05:00+09:00"), r.text
        # demo: false in the example → the demo route does not exist.
        assert requests.post(srv.url("/api/v1/demo/token"), json={"userId": "x"}, timeout=10).status_code == 404
        assert "development token secret" in srv.log(), "an empty token.secret must warn loudly"
    finally:
        assert srv.stop() == 0, srv.log()


def test_values_from_the_file_are_applied(tmp_path):
    port = free_port()
    cfg = tmp_path / "pension720.yaml"
    cfg.write_text(with_values(server__port=str(port), store__url=f'"sqlite:{tmp_path / "cfg.db"}"',
                               token__secret=f'"{SECRET}"', demo="true",
                               server__cors_origins='"https://a.example,https://b.example"',
                               clock__now='"2026-11-24T12:00:00+09:00"', sales__draw='"20:00"'))
    srv = ConfiguredServer(cfg, port)
    try:
        good = make_token("cfg-user", secret=SECRET)
        bad = make_token("cfg-user", secret="another-secret-0123456789")
        r = requests.get(srv.url("/api/v1/wallet"), headers={"Authorization": f"Bearer {good}"}, timeout=10)
        assert r.status_code == 200, r.text
        r = requests.get(srv.url("/api/v1/wallet"), headers={"Authorization": f"Bearer {bad}"}, timeout=10)
        assert r.status_code == 401, r.text
        r = requests.post(srv.url("/api/v1/demo/token"), json={"userId": "cfg-demo"}, timeout=10)
        assert r.status_code == 201, r.text  # demo: true
        r = requests.get(srv.url("/api/v1/pension/rounds/current"), headers={"Origin": "https://b.example"}, timeout=10)
        assert r.headers.get("Access-Control-Allow-Origin") == "https://b.example", r.headers
        body = r.json()
        assert body["round"] == 343 and body["salesOpen"] is True, body  # clock.now
        assert body["drawAt"] == "2026-11-26T20:00:00+09:00", body  # sales.draw
        r = requests.get(srv.url("/api/v1/pension/round"), headers={"Origin": "https://evil.example"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in r.headers, r.headers
    finally:
        assert srv.stop() == 0, srv.log()


BAD_VALUES = [
    ({"server__port": "70000"}, "server.port"),
    ({"sales__open": '"25:00"'}, "sales.open"),
    ({"token__secret": '"x"'}, "token.secret"),
    ({"store__url": '"postgres://u:p@localhost/db"'}, "store.url"),
    ({"server__workers": "0"}, "server.workers"),
    ({"store__writers": "0"}, "store.writers"),
    ({"store__batch_linger_us": "-1"}, "store.batch-linger-us"),
    ({"store__idle_transaction_timeout_seconds": "0"}, "store.idle-transaction-timeout-seconds"),
    ({"store__lock_wait_timeout_seconds": "40"}, "store.io-timeout-seconds"),  # not below the read timeout
    ({"store__keepalive_seconds": "-1"}, "store.keepalive-seconds"),
    ({"server__max_body_bytes": "lots"}, "server.max-body-bytes"),
    ({"sales__hold_seconds": "-1"}, "sales.hold-seconds"),
    ({"sales__close": '"19:30"'}, "sales.close"),
    ({"redis__url": '"localhost:6379"'}, "redis.url"),
    ({"limits__rate_per_second": "5"}, "limits"),
    ({"clock__now": '"2026-11-24 12:00"'}, "clock.now"),
    ({"compat": "spring"}, "compat"),
    ({"auth__require_verified_email": "maybe"}, "auth.require-verified-email"),
    ({"auth__access_ttl_seconds": "10"}, "auth.access-ttl-seconds"),
    ({"auth__login_failures_per_email": "0"}, "auth.login-failures-per-email"),
    ({"mail__smtp_url": '"http://127.0.0.1:25"'}, "mail.smtp-url"),
    ({"mail__from": '"Shop <shop@example.com>"'}, "mail.from"),
    ({"token__jwks_file": '"/nonexistent/jwks.json"'}, "token.jwks-file"),
    ({"psp__url": '"ftp://psp.example"'}, "psp.url"),
    ({"psp__url": '"https://psp.example"'}, "psp.secret-key"),
    ({"psp__url": '"https://psp.example"', "psp__secret_key": '"sk"', "psp__ca_file": '"/nonexistent/ca.pem"'},
     "psp.ca-file"),
    ({"psp__timeout_seconds": "0"}, "psp.timeout-seconds"),
    ({"psp__reconcile_seconds": "-1"}, "psp.reconcile-seconds"),
    ({"psp__reconcile_after_seconds": "forever"}, "psp.reconcile-after-seconds"),
    ({"wallet__min_withdrawal": "0"}, "wallet.min-withdrawal"),
    ({"annuity__pay_day": "32"}, "annuity.pay-day"),
    ({"tax__annuity_rates": '"22"'}, "tax.annuity-rates"),
    ({"tax__annuity_rates": '"60+41"'}, "tax.annuity-rates"),
    ({"tax__free_up_to": "-1"}, "tax.free-up-to"),
    ({"tax__brackets": '"1:20+2"'}, "tax.brackets"),
]


@pytest.mark.parametrize("changes,key", BAD_VALUES, ids=[k for _, k in BAD_VALUES])
def test_a_bad_value_stops_the_server_naming_the_key(tmp_path, changes, key):
    cfg = tmp_path / "bad.yaml"
    values = {"server__port": str(free_port()), "store__url": f'"sqlite:{tmp_path / "bad.db"}"', **changes}
    cfg.write_text(with_values(**values))
    # The process must exit on its own; the timeout only guards the suite against a hang.
    p = subprocess.run([BIN, "serve", "--config", str(cfg)], capture_output=True, env=run_env(), timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode != 0, out
    assert key in out, f"message does not name {key}: {out}"
    assert '"listening"' not in out, out


def test_a_missing_config_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    p = subprocess.run([BIN, "serve", "--config", str(missing)], capture_output=True, env=run_env(), timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode != 0 and str(missing) in out, out
