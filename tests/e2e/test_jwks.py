"""Tokens of the operator's identity provider (token.jwks-file): RS256 and ES256 verified against
a JWKS file, the key chosen by `kid` and fixing the algorithm; `exp` and `nbf` for every token;
SIGHUP re-reads the file. Keys are made here (python3-cryptography), tokens signed with PyJWT."""
import base64
import hashlib
import hmac
import json
import signal
import subprocess
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from conftest import BIN, Server, expect_error, free_port, make_token, new_user


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve=None):
    return ec.generate_private_key(curve or ec.SECP256R1())


def jwk(private, kid, **extra):
    pub = private.public_key()
    raw = RSAAlgorithm.to_jwk(pub) if isinstance(pub, rsa.RSAPublicKey) else ECAlgorithm.to_jwk(pub)
    k = json.loads(raw)
    if k["kty"] == "EC":
        # RFC 7518 §6.2.1.2: x and y are the coordinate's full size; this PyJWT drops leading zero
        # bytes (1 key in 128), which the server rightly refuses.
        size = (pub.curve.key_size + 7) // 8
        nums = pub.public_numbers()
        k["x"] = base64.urlsafe_b64encode(nums.x.to_bytes(size, "big")).rstrip(b"=").decode()
        k["y"] = base64.urlsafe_b64encode(nums.y.to_bytes(size, "big")).rstrip(b"=").decode()
    k.update(kid=kid, **extra)
    return k


def write_jwks(path, *keys):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": list(keys)}))
    tmp.replace(path)  # whole or not at all, as an operator's deploy would


def idp_token(private, alg, kid, user=None, ttl=3600, drop=(), **claims):
    now = int(time.time())
    body = {"id": user or new_user("idp"), "name": "외부", "iat": now, "exp": now + ttl, **claims}
    for k in drop:
        body.pop(k, None)
    headers = {"kid": kid} if kid is not None else {}
    return pyjwt.encode(body, private, algorithm=alg, headers=headers)


KEYS = {}


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    d = tmp_path_factory.mktemp("jwks")
    KEYS.update(r1=rsa_key(), e1=ec_key(), r2=rsa_key(), other=rsa_key())
    path = d / "jwks.json"
    write_jwks(path, jwk(KEYS["r1"], "r1", alg="RS256", use="sig"), jwk(KEYS["e1"], "e1"))
    srv = Server(d, "jwks", env={"PENSION_JWKS_FILE": str(path)}).start()
    srv.jwks_path = path
    yield srv
    srv.stop()


def wallet(srv, token):
    return srv.get("/api/v1/wallet", token=token)


def test_rs256_and_es256_tokens_of_listed_keys_are_accepted(idp):
    for kid, alg in (("r1", "RS256"), ("e1", "ES256")):
        user = new_user(kid)
        r = wallet(idp, idp_token(KEYS[kid], alg, kid, user=user))
        assert r.status_code == 200, (kid, r.text)
        assert r.json()["userId"] == user
    # Our own HS256 tokens still work beside them.
    assert wallet(idp, make_token(new_user())).status_code == 200


def test_sub_names_the_user_when_there_is_no_id(idp):
    r = wallet(idp, idp_token(KEYS["r1"], "RS256", "r1", drop=("id",), sub="idp-subject-42"))
    assert r.status_code == 200 and r.json()["userId"] == "idp-subject-42", r.text


def test_an_idp_admin_role_is_honoured_and_a_missing_one_is_not(idp):
    body = {"round": 342, "random": True}
    expect_error(idp.post("/api/v1/pension/draws", token=idp_token(KEYS["e1"], "ES256", "e1"), json=body),
                 403, "FORBIDDEN")


def bad_idp_tokens():
    r1, e1, other = KEYS["r1"], KEYS["e1"], KEYS["other"]
    good = idp_token(r1, "RS256", "r1")
    head, payload, sig = good.split(".")
    forged_payload = pyjwt.utils.base64url_encode(json.dumps({"id": "admin", "role": "ADMIN"}).encode()).decode()
    rsa_pem = r1.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    # The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret. PyJWT
    # refuses PEMs as HMAC secrets, so it is signed by hand.
    h = pyjwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "r1"}).encode())
    p = pyjwt.utils.base64url_encode(json.dumps({"id": "mallory", "exp": int(time.time()) + 600}).encode())
    confused = (h + b"." + p + b"." + pyjwt.utils.base64url_encode(hmac.new(rsa_pem, h + b"." + p, hashlib.sha256).digest())).decode()
    return {
        "unknown-kid": idp_token(r1, "RS256", "nope"),
        "no-kid": idp_token(r1, "RS256", None),
        "rs256-header-on-ec-key": idp_token(r1, "RS256", "e1"),
        "es256-header-on-rsa-key": idp_token(e1, "ES256", "r1"),
        "signed-by-another-key": idp_token(other, "RS256", "r1"),
        "tampered-payload": f"{head}.{forged_payload}.{sig}",
        "hs256-with-the-public-key-as-secret": confused,
        "ps256": idp_token(r1, "PS256", "r1"),
        "es384-curve": idp_token(ec_key(ec.SECP384R1()), "ES384", "e1"),
        "expired": idp_token(r1, "RS256", "r1", ttl=-30),
        "not-yet-valid": idp_token(r1, "RS256", "r1", nbf=int(time.time()) + 600),
        "nbf-not-a-number": idp_token(r1, "RS256", "r1", nbf="soon"),
        "no-id-no-sub": idp_token(e1, "ES256", "e1", drop=("id",)),
        "truncated-signature": good[:-10],
    }


@pytest.mark.parametrize("name", ["unknown-kid", "no-kid", "rs256-header-on-ec-key", "es256-header-on-rsa-key",
                                  "signed-by-another-key", "tampered-payload", "hs256-with-the-public-key-as-secret",
                                  "ps256", "es384-curve", "expired", "not-yet-valid", "nbf-not-a-number",
                                  "no-id-no-sub", "truncated-signature"])
def test_bad_idp_tokens_are_401(idp, name):
    expect_error(wallet(idp, bad_idp_tokens()[name]), 401, "UNAUTHORIZED")


def test_nbf_is_enforced_for_hs256_tokens_too(idp):
    now = int(time.time())
    expect_error(wallet(idp, make_token(new_user(), extra={"nbf": now + 600})), 401, "UNAUTHORIZED")
    assert wallet(idp, make_token(new_user(), extra={"nbf": now - 5})).status_code == 200
    assert wallet(idp, idp_token(KEYS["r1"], "RS256", "r1", nbf=now - 5)).status_code == 200


def test_without_a_jwks_file_rs256_is_refused(server):
    expect_error(wallet(server, idp_token(rsa_key(), "RS256", "r1")), 401, "UNAUTHORIZED")


def until(predicate, attempts=5000):
    """Retries a check that becomes true once the server has handled a signal (each try is a request
    or a file read; no sleeping). Bounded."""
    for _ in range(attempts):
        if predicate():
            return True
    return False


def test_sighup_rereads_the_file(idp):
    r1_token = idp_token(KEYS["r1"], "RS256", "r1")
    assert wallet(idp, r1_token).status_code == 200  # verified (and cached)
    r2_token = idp_token(KEYS["r2"], "RS256", "r2")
    expect_error(wallet(idp, r2_token), 401, "UNAUTHORIZED")

    write_jwks(idp.jwks_path, jwk(KEYS["r2"], "r2"), jwk(KEYS["e1"], "e1"))
    idp.proc.send_signal(signal.SIGHUP)
    assert until(lambda: wallet(idp, r2_token).status_code == 200), idp.log()
    # r1 left the file: its tokens stop working, the one verified before too.
    expect_error(wallet(idp, r1_token), 401, "UNAUTHORIZED")
    assert wallet(idp, idp_token(KEYS["e1"], "ES256", "e1")).status_code == 200

    # A broken file on SIGHUP keeps the keys in use.
    idp.jwks_path.write_text("{not json")
    idp.proc.send_signal(signal.SIGHUP)
    assert until(lambda: "jwks reload failed" in idp.log_path.read_text(errors="replace")), idp.log()
    assert wallet(idp, r2_token).status_code == 200
    assert idp.alive()


def test_sighup_without_a_jwks_file_does_not_stop_the_server(server):
    server.proc.send_signal(signal.SIGHUP)
    assert until(lambda: "nothing to reload" in server.log_path.read_text(errors="replace")), server.log()
    assert server.alive()
    assert wallet(server, make_token(new_user())).status_code == 200


@pytest.mark.parametrize("keys,why", [
    ([], "no RS256 or ES256 key"),
    (["rsa1024"], "2048"),
    (["dup", "dup"], "twice"),
    (["rsa-alg-es256"], "RS256 only"),
    (["p384"], "P-256"),
])
def test_an_unusable_jwks_file_stops_the_start_naming_the_key(tmp_path, keys, why):
    made = {
        "rsa1024": lambda: jwk(rsa_key(1024), "k"),
        "dup": lambda: jwk(ec_key(), "same"),
        "rsa-alg-es256": lambda: jwk(rsa_key(), "k", alg="ES256"),
        "p384": lambda: {**jwk(ec_key(ec.SECP384R1()), "k")},
    }
    path = tmp_path / "bad.json"
    write_jwks(path, *[made[k]() for k in keys])
    env = {"PENSION_JWKS_FILE": str(path), "PATH": "/usr/bin:/bin"}
    p = subprocess.run([BIN, "serve", "--port", str(free_port()), "--db", f"sqlite:{tmp_path / 'x.db'}"],
                       capture_output=True, env=env, timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode != 0, out
    assert "token.jwks-file" in out and why in out, out
    assert '"listening"' not in out, out
