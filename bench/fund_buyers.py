#!/usr/bin/python3
# Funds BUYERS distinct buyers ("buyer0".."buyerN-1", or PREFIX) through the ADMIN deposit route of a
# pension720 on PORT (rate limit off), 32 at a time, and writes one HS256 token a buyer to OUT.
#   fund_buyers.py PORT BUYERS SECRET OUT [PREFIX] [AMOUNT]
import concurrent.futures
import sys
import time

import jwt
import requests

port, buyers, secret, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else "buyer"
amount = int(sys.argv[6]) if len(sys.argv) > 6 else 1_000_000
now = int(time.time())


def token(user, role=None):
    claims = {"id": user, "iat": now, "exp": now + 86400}
    if role:
        claims["role"] = role
    return jwt.encode(claims, secret, algorithm="HS256")


admin = {"Authorization": "Bearer " + token(f"{prefix}-admin", "ADMIN")}
ids = [f"{prefix}{i}" for i in range(buyers)]


def fund(chunk):
    s = requests.Session()
    for u in chunk:
        r = s.post(f"http://127.0.0.1:{port}/api/v1/wallet/deposit", json={"userId": u, "amount": amount},
                   headers=admin, timeout=60)
        assert r.status_code == 200, r.text


with concurrent.futures.ThreadPoolExecutor(32) as pool:
    list(pool.map(fund, [ids[i::32] for i in range(32)]))
with open(out, "w") as f:
    f.writelines(token(u) + "\n" for u in ids)
