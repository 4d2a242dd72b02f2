"""Accounts across two instances on one MariaDB (PENSION_TEST_MYSQL, which scripts/test.sh starts
and sets; without it these tests fail, they never skip): a code sent by one instance is confirmed
on the other, a refresh token spent on one is refused on the other and its reuse revokes the
sign-in everywhere, and races between the instances have exactly one winner."""
import os
import subprocess
import threading
import uuid
from urllib.parse import urlparse

import pytest

from conftest import Server, expect_error, new_user
from smtp_sink import SmtpSink

PASSWORD = "two instances, one truth"


def mariadb(url, query, database=None):
    u = urlparse(url)
    cmd = ["mariadb", "--no-defaults", "-h", u.hostname, "-P", str(u.port or 3306), f"-u{u.username}",
           f"-p{u.password}", "-N", "-B", "-e", query]
    if database:
        cmd.append(database)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def new_database(prefix):
    """A fresh MariaDB database on PENSION_TEST_MYSQL's server: (server url, its name, its url)."""
    base = os.environ.get("PENSION_TEST_MYSQL")
    assert base, "PENSION_TEST_MYSQL is not set: start MariaDB with `scripts/topology.sh start-db` and export it"
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    mariadb(base, f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
    return base, name, base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base, name, url = new_database("p720acct")
    sink = SmtpSink().start()
    d = tmp_path_factory.mktemp("acct-mysql")
    env = {"PENSION_SMTP_URL": sink.url}
    a = Server(d, "a", demo=False, env=env, db_url=url).start()
    b = Server(d, "b", demo=False, env=env, db_url=url).start()
    try:
        yield a, b, sink, (base, name)
    finally:
        a.stop()
        b.stop()
        sink.stop()
        mariadb(base, f"DROP DATABASE IF EXISTS {name}")


def both(fa, fb):
    """Runs two requests at once (one per instance) and returns both responses."""
    out = [None, None]
    start = threading.Barrier(2)

    def run(i, f):
        start.wait()
        out[i] = f()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate((fa, fb))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def signed_up(a, b, sink):
    email = f"{new_user('m')}@example.com"
    r = a.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "둘", "birthDate": "1991-03-04"})
    assert r.status_code == 201, r.text
    assert a.post("/api/v1/auth/verification", json={"email": email}).status_code == 200
    # Sent by A, confirmed on B.
    r = b.post("/api/v1/auth/verification/confirm", json={"email": email, "code": sink.code_for(email)})
    assert r.status_code == 200, r.text
    return email


def log_in(srv, email):
    r = srv.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_refresh_token_spent_on_one_instance_is_refused_on_the_other(pair):
    a, b, sink, _ = pair
    email = signed_up(a, b, sink)
    first = log_in(b, email)
    r = a.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert b.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second['accessToken']}"}).status_code == 200
    # Reuse on B of the token A spent: refused, and the sign-in is revoked on both instances.
    expect_error(b.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}), 401, "UNAUTHORIZED")
    expect_error(a.post("/api/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}), 401, "UNAUTHORIZED")
    for srv in (a, b):
        expect_error(srv.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second['accessToken']}"}),
                     401, "UNAUTHORIZED")


def test_the_same_refresh_token_at_both_instances_at_once_has_one_winner(pair):
    a, b, sink, _ = pair
    email = signed_up(a, b, sink)
    for _ in range(5):
        t = log_in(a, email)["refreshToken"]
        ra, rb = both(lambda: a.post("/api/v1/auth/refresh", json={"refreshToken": t}),
                      lambda: b.post("/api/v1/auth/refresh", json={"refreshToken": t}))
        assert sorted([ra.status_code, rb.status_code]) == [200, 401], (ra.text, rb.text)
        winner = ra if ra.status_code == 200 else rb
        # The loser presented a spent token: the winner's new token is revoked with the sign-in.
        expect_error(a.post("/api/v1/auth/refresh", json={"refreshToken": winner.json()["refreshToken"]}),
                     401, "UNAUTHORIZED")


def test_the_same_email_signed_up_at_both_instances_at_once_has_one_account(pair):
    a, b, _, (base, name) = pair
    for _ in range(5):
        email = f"{new_user('race')}@example.com"
        body = {"email": email, "password": PASSWORD, "name": "경쟁", "birthDate": "1980-01-01"}
        ra, rb = both(lambda: a.post("/api/v1/auth/signup", json=body), lambda: b.post("/api/v1/auth/signup", json=body))
        assert sorted([ra.status_code, rb.status_code]) == [201, 409], (ra.text, rb.text)
        loser = ra if ra.status_code == 409 else rb
        expect_error(loser, 409, "EMAIL_TAKEN")
        assert mariadb(base, f"SELECT COUNT(*) FROM accounts WHERE email = '{email}'", name) == [["1"]]


def test_logout_on_one_instance_ends_the_sign_in_on_the_other(pair):
    a, b, sink, _ = pair
    email = signed_up(a, b, sink)
    t = log_in(a, email)
    assert b.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {t['accessToken']}"}).status_code == 204
    expect_error(a.get("/api/v1/wallet", headers={"Authorization": f"Bearer {t['accessToken']}"}), 401, "UNAUTHORIZED")
    expect_error(a.post("/api/v1/auth/refresh", json={"refreshToken": t["refreshToken"]}), 401, "UNAUTHORIZED")


def test_mariadb_holds_no_password_code_or_refresh_token_in_clear(pair):
    a, b, sink, (base, name) = pair
    email = signed_up(a, b, sink)
    t = log_in(a, email)
    code = sink.code_for(email)
    dump = "\n".join("\t".join(row) for table in ("accounts", "email_codes", "auth_sessions", "refresh_tokens")
                     for row in mariadb(base, f"SELECT * FROM {table}", name))
    for secret in (PASSWORD, code, t["refreshToken"], t["accessToken"]):
        assert secret not in dump
    assert "$argon2id$" in dump
