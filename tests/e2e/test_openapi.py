"""GET /openapi.json against the route table: every documented operation is served, every route of
route file (src/http/*_api.cc) is documented with the right security, and the real responses fit the schemas."""
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, ROUND, Server, new_user

HTTP_SRC = REPO / "src" / "http"
API_CC = HTTP_SRC / "api.cc"
# Route tables registered from make_api (api.cc), one file per resource.
ROUTE_FILES = sorted(HTTP_SRC.glob("*_api.cc"))
DEMO_FILE = HTTP_SRC / "demo_api.cc"  # registered only in demo mode (make_api: `if (d->demo)`)
DOC_FILE = REPO / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# The router's own 404 messages (src/http/errors.cc, kMethod / kPath): the path or the method is not in the table.
UNKNOWN_ROUTE = ("없는 경로입니다", "지원하지 않는 메서드입니다")
# Router's builder (src/http/router.h): r.get / r.post / r.put / r.del, access by .user() / .admin().
BUILDER = {"get": "GET", "post": "POST", "put": "PUT", "del": "DELETE"}


def access_of(chain):
    if ".admin()" in chain:
        return "kAdmin"
    return "kUser" if ".user()" in chain else "kPublic"


# --- the route table, read from the source ---------------------------------------------------
def routes_from_source(files=None):
    """{(METHOD, pattern): access} of every route the route files build, with the two generating
    loops expanded.

    Fails loudly when a file registers a route in a way this reader does not know, so a new kind of
    registration cannot slip past the check."""
    src = "\n".join(f.read_text() for f in (files or ROUTE_FILES))
    routes = {}
    understood = 0
    chain = r'((?:\s*\.\w+\(\))*)\s*\.handle'  # the builder's flags, then the handler

    # r.get("/x").user().rate_limited().handle(...)
    for m in re.finditer(r'\br\.(get|post|put|del)\("([^"]+)"\)' + chain, src):
        routes[(BUILDER[m.group(1)], m.group(2))] = access_of(m.group(3))
        understood += 1

    # for (const auto& [base, render] : {std::pair<...>{"W", win_json}, std::pair<...>{"B", bonus_json}}) r.get(base + "/x")...
    bases = re.findall(r'std::pair<std::string, DrawRender>\{"([^"]+)",', src)
    base_adds = list(re.finditer(r'\br\.(get|post|put|del)\(base \+ "([^"]+)"\)' + chain, src))
    if base_adds:
        assert len(bases) == 2, "draws_api.cc: routes built from `base` but its values were not recognised"
        for m in base_adds:
            for b in bases:
                routes[(BUILDER[m.group(1)], b + m.group(2))] = access_of(m.group(3))
            understood += 1

    # const char* positions[] = {...}; path = std::string("P") + (bonus ? "B/" : "W/") + positions[pos];
    stat_adds = list(re.finditer(r'\br\.(get|post|put|del)\(path\)' + chain, src))
    if stat_adds:
        positions = re.search(r'const char\*\s*positions\[\]\s*=\s*\{([^}]*)\}', src)
        prefix = re.search(r'std::string\("([^"]+)"\)\s*\+\s*\(bonus\s*\?\s*"([^"]+)"\s*:\s*"([^"]+)"\)\s*\+\s*positions\[pos\]', src)
        assert positions and prefix, "draws_api.cc: statistics routes built in a way this test does not recognise"
        names = re.findall(r'"([^"]+)"', positions.group(1))
        skip_bonus_first = re.search(r'if \(bonus && pos == 0\) continue;', src) is not None
        for m in stat_adds:
            for i, name in enumerate(names):
                routes[(BUILDER[m.group(1)], prefix.group(1) + prefix.group(3) + name)] = access_of(m.group(2))
                if not (skip_bonus_first and i == 0):
                    routes[(BUILDER[m.group(1)], prefix.group(1) + prefix.group(2) + name)] = access_of(m.group(2))
            understood += 1

    calls = len(re.findall(r'\br\.(?:get|post|put|del|add)\(', src))
    assert understood == calls, f"the route files have {calls} route registrations, this test understood {understood}"
    if files is None:
        assert len(routes) >= 40, routes
    return routes


def demo_only_routes():
    """Routes of demo_api.cc, which make_api adds only in demo mode."""
    assert re.search(r'if \(d->demo\) add_demo_routes\(r, d\);', API_CC.read_text()), "api.cc: demo routes not recognised"
    return set(routes_from_source([DEMO_FILE]))


# --- the document ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def doc(server):
    r = server.get("/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = doc
        for part in ref[2:].split("/"):
            assert part in target, f"dangling $ref {ref}"
            target = target[part]
        node = target
    return node


def all_refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for v in node.values():
            yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def check(doc, schema, value, where="$"):
    """A small JSON Schema (OpenAPI 3.0 dialect) check of the keywords the document uses."""
    schema = resolve(doc, schema)
    if value is None:
        assert schema.get("nullable") or not schema.get("type") and not schema.get("properties"), f"{where}: null"
        return
    if "allOf" in schema:
        for s in schema["allOf"]:
            check(doc, s, value, where)
    if "oneOf" in schema:
        ok = 0
        for s in schema["oneOf"]:
            try:
                check(doc, s, value, where)
                ok += 1
            except AssertionError:
                pass
        assert ok >= 1, f"{where}: {value!r} fits none of oneOf"
    t = schema.get("type")
    if t == "object":
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        for k in schema.get("required", []):
            assert k in value, f"{where}: required {k!r} missing in {value!r}"
        for k, v in value.items():
            if k in schema.get("properties", {}):
                check(doc, schema["properties"][k], v, f"{where}.{k}")
            elif isinstance(schema.get("additionalProperties"), dict):
                check(doc, schema["additionalProperties"], v, f"{where}.{k}")
    elif t == "array":
        assert isinstance(value, list), f"{where}: {value!r} is not an array"
        for i, v in enumerate(value):
            check(doc, schema.get("items", {}), v, f"{where}[{i}]")
    elif t == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an integer"
    elif t == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    elif t == "string":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema:
            assert value >= schema["minimum"], f"{where}: {value} < {schema['minimum']}"
        if "maximum" in schema:
            assert value <= schema["maximum"], f"{where}: {value} > {schema['maximum']}"


def test_served_document_is_the_checked_in_file(doc):
    assert doc == json.loads(DOC_FILE.read_text()), "the binary embeds a stale docs/openapi.json: rebuild"


def test_document_is_well_formed_openapi_3(doc):
    assert re.fullmatch(r"3\.0\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for ref in all_refs(doc):
        resolve(doc, {"$ref": ref})
    op_ids = [op["operationId"] for _, _, op in operations(doc) if "operationId" in op]
    assert len(op_ids) == len(set(op_ids)), "operationId must be unique"
    for method, path, op in operations(doc):
        assert op.get("responses"), (method, path)
        for status, r in op["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d|default", status), (method, path, status)
            assert "description" in resolve(doc, r), (method, path, status)
        # Path templates and declared path parameters agree.
        template = set(re.findall(r"\{(\w+)\}", path))
        declared = {p["name"] for p in map(lambda p: resolve(doc, p), op.get("parameters", [])) if p["in"] == "path"}
        assert template == declared, (method, path, template, declared)
        for p in op.get("parameters", []):
            p = resolve(doc, p)
            if p["in"] == "path":
                assert p["required"] is True, (method, path, p)
        if method in ("GET", "DELETE"):
            assert "requestBody" not in op, (method, path)


def test_every_route_of_the_table_is_documented_with_its_security(doc):
    documented = {(m, p): op for m, p, op in operations(doc)}
    source = routes_from_source()
    missing = sorted(set(source) - set(documented))
    assert not missing, f"routes of api.cc missing from docs/openapi.json: {missing}"
    extra = sorted(set(documented) - set(source))
    assert not extra, f"documented operations that api.cc does not register: {extra}"
    for key, access in source.items():
        op = documented[key]
        security = op.get("security", doc.get("security", []))
        responses = op["responses"]
        if access == "kPublic":
            assert security == [], f"{key} is public but documented as needing a token"
        else:
            assert {"bearerAuth": []} in security, f"{key} needs a token but is not documented with bearerAuth"
            assert "401" in responses, key
            if access == "kAdmin":
                assert "403" in responses, key
    for key in demo_only_routes():
        assert documented[key].get("x-demo-only") is True, f"{key} must be marked x-demo-only"
        assert "demo" in documented[key].get("description", "").lower(), key


def test_every_error_code_of_the_spec_is_documented(doc):
    codes = set(resolve(doc, doc["components"]["schemas"]["Error"])["properties"]["errorCode"]["enum"])
    spec_codes = {"INVALID_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "SELECT_DUPLICATED", "TICKET_HELD",
                  "PURCHASE_DUPLICATED", "MAX_SELECTED", "LIMIT_EXCEEDED", "TIME_OUT", "SELECT_NO_TICKET",
                  "NOT_ENOUGH_MONEY", "ALREADY_DRAWN", "IDEMPOTENCY_CONFLICT", "PAYLOAD_TOO_LARGE", "TOO_MANY_REQUESTS"}
    assert spec_codes <= codes, spec_codes - codes
    text = json.dumps(doc)
    for code in spec_codes:  # each also named where it can happen
        assert text.count(code) >= 2, code


# --- every documented operation is served ------------------------------------------------------
def concrete(path):
    return re.sub(r"\{(\w+)\}", lambda m: {"round": str(ROUND), "id": "999999"}.get(m.group(1), "1"), path)


def required_query(doc, op):
    q = {}
    for p in map(lambda p: resolve(doc, p), op.get("parameters", [])):
        if p["in"] == "query" and p.get("required"):
            q[p["name"]] = str(ROUND) if p["name"] == "round" else "1"
    return q


def call(server, doc, method, path, op, user, access):
    needs_token = bool(op.get("security", doc.get("security", [])))
    admin = access.get((method, path)) == "kAdmin"
    kw = {"params": required_query(doc, op)}
    if "requestBody" in op:
        kw["json"] = {}  # valid JSON that no handler accepts as is: validation answers, nothing changes
    return server.request(method, concrete(path), user=user if needs_token else None, admin=admin, **kw)


def assert_fits(doc, method, path, op, r):
    """The status is one the operation documents, and a JSON body fits that response's schema."""
    assert str(r.status_code) in op["responses"], f"{method} {path}: undocumented status {r.status_code}: {r.text[:300]}"
    documented = resolve(doc, op["responses"][str(r.status_code)])
    content = documented.get("content", {})
    ctype = r.headers.get("Content-Type", "").split(";")[0].strip()
    if r.status_code == 204:
        assert not r.content
        return
    assert ctype in content, f"{method} {path}: {r.status_code} served as {ctype}, documented {list(content)}"
    if ctype == "application/json":
        check(doc, content[ctype]["schema"], r.json(), f"{method} {path} {r.status_code}")


def test_every_documented_operation_is_served(server, doc):
    user = new_user("oa")
    access = routes_from_source()
    for method, path, op in operations(doc):
        r = call(server, doc, method, path, op, user, access)
        if r.status_code == 404 and r.headers.get("Content-Type", "").startswith("application/json"):
            msg = r.json().get("errorMessage", "")
            assert not msg.startswith(UNKNOWN_ROUTE), f"documented but not served: {method} {path}: {msg}"
        assert_fits(doc, method, path, op, r)


def test_protected_operations_answer_401_without_a_token(server, doc):
    for method, path, op in operations(doc):
        if op.get("security", doc.get("security", [])):
            r = server.request(method, concrete(path), params=required_query(doc, op),
                               **({"json": {}} if "requestBody" in op else {}))
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert_fits(doc, method, path, op, r)


def test_responses_of_a_whole_sale_fit_the_schemas(tmp_path, doc):
    """Deposit, select, buy, draw and the reads that follow — each body checked against the document."""
    srv = Server(tmp_path, name="oa-sale").start()
    try:
        ops = {(m, p): op for m, p, op in operations(doc)}
        user, admin = new_user("buyer"), new_user("admin")

        def go(method, path, concrete_path=None, expect=None, **kw):
            r = srv.request(method, concrete_path or path, **kw)
            if expect is not None:
                assert r.status_code == expect, (method, path, r.status_code, r.text)
            assert_fits(doc, method, path, ops[(method, path)], r)
            return r

        go("POST", "/api/v1/wallet/deposit", user=user, json={"amount": 50_000}, expect=200)
        go("POST", "/api/v1/pension/selected", user=user, json={"round": ROUND, "group": 2, "number": "135790"}, expect=201)
        go("POST", "/api/v1/pension/selected", user=user, json={"round": ROUND, "group": 2, "number": "135790"}, expect=409)
        go("GET", "/api/v1/pension/selected", user=user, expect=200)
        go("POST", "/api/v1/pension/purchased", user=user, headers={"Idempotency-Key": "k1"}, expect=201)
        go("POST", "/api/v1/pension/purchases", user=user,
           json={"round": ROUND, "tickets": [{"group": 3, "number": "135791"}, {"group": 1, "auto": True}]}, expect=201)
        dup = go("POST", "/api/v1/pension/purchases", user=new_user("late"),
                 json={"round": ROUND, "tickets": [{"group": 3, "number": "135791"}]})
        assert dup.status_code in (400, 409), dup.text  # 400: no money; 409: sold — both documented
        go("GET", "/api/v1/wallet/transactions", user=user, expect=200)
        go("GET", "/api/v1/pension/purchased", user=user, params={"round": ROUND}, expect=200)
        go("GET", "/api/v1/pension", user=user, expect=200)
        go("GET", "/api/v1/pension/rounds/current", expect=200)
        go("GET", "/api/v1/pension/round", expect=200)
        token = go("POST", "/api/v1/demo/token", json={"userId": new_user("demo")}, expect=201).json()["token"]
        go("GET", "/api/v1/wallet", token=token, expect=200)

        srv.stop()
        srv.start(now="2026-11-26T18:00:00+09:00")  # the draw day of ROUND, sales closed
        go("POST", "/api/v1/pension/draws", user=admin, admin=True,
           json={"round": ROUND, "group": 2, "number": "135790", "bonus": "000001"}, expect=201)
        go("POST", "/api/v1/pension/draws", user=admin, admin=True,
           json={"round": ROUND, "group": 2, "number": "135790", "bonus": "000001"}, expect=200)
        go("POST", "/api/v1/pension/draws", user=admin, admin=True,
           json={"round": ROUND, "group": 1, "number": "000000", "bonus": "000001"}, expect=409)
        go("GET", "/api/v1/pension/draws/{round}", f"/api/v1/pension/draws/{ROUND}", expect=200)
        go("GET", "/api/v1/pension/winnings", user=user, expect=200)
        go("GET", "/api/v1/pension", user=user, params={"result": 1}, expect=200)
        go("GET", "/api/v1/pension-win/round", params={"round": ROUND}, expect=200)
        go("GET", "/api/v1/pension-bonus/round", params={"round": ROUND}, expect=200)
        go("GET", "/api/v1/pension-win/all", expect=200)
        go("GET", "/api/v1/pension-bonus/all", expect=200)
        go("GET", "/api/v1/statistics/pension/groupNum", expect=200)
        go("GET", "/api/v1/statistics/bonus/sixthNum", expect=200)
        go("GET", "/actuator/health", expect=200)
    finally:
        srv.stop()


def test_demo_only_operations_are_not_served_without_demo_mode(tmp_path, doc):
    demo_ops = [(m, p) for m, p, op in operations(doc) if op.get("x-demo-only")]
    assert demo_ops, "the demo token route must be documented"
    srv = Server(tmp_path, name="oa-nodemo", demo=False).start()
    try:
        for method, path in demo_ops:
            r = srv.request(method, concrete(path), json={"userId": "x"})
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["errorMessage"].startswith(UNKNOWN_ROUTE), r.text
    finally:
        srv.stop()


def test_responses_of_sign_up_and_sign_in_fit_the_schemas(tmp_path, doc):
    """Sign-up, the code, login, refresh, me, logout and the predecessor's routes — each body checked
    against the document (the code read from a real SMTP sink)."""
    from smtp_sink import SmtpSink
    sink = SmtpSink().start()
    srv = Server(tmp_path, name="oa-accounts", demo=False, env={"PENSION_SMTP_URL": sink.url}).start()
    try:
        ops = {(m, p): op for m, p, op in operations(doc)}

        def go(method, path, expect, **kw):
            r = srv.request(method, path, **kw)
            assert r.status_code == expect, (method, path, r.status_code, r.text)
            assert_fits(doc, method, path, ops[(method, path)], r)
            return r

        email = f"{new_user('oa')}@example.com"
        body = {"email": email, "password": "a long password", "name": "문서", "birthDate": "1990-01-01"}
        go("POST", "/api/v1/auth/signup", 201, json=body)
        go("POST", "/api/v1/auth/signup", 409, json=body)
        go("POST", "/api/v1/auth/signup", 403, json={**body, "email": "young-" + email, "birthDate": "2015-01-01"})
        go("POST", "/api/v1/auth/login", 403, json={"email": email, "password": "a long password"})
        go("POST", "/api/v1/auth/verification", 200, json={"email": email})
        go("POST", "/api/v1/auth/verification/confirm", 400, json={"email": email, "code": "abcdef"})
        go("POST", "/api/v1/auth/verification/confirm", 200, json={"email": email, "code": sink.code_for(email)})
        go("POST", "/api/v1/auth/login", 401, json={"email": email, "password": "wrong password"})
        tokens = go("POST", "/api/v1/auth/login", 200, json={"email": email, "password": "a long password"}).json()
        tokens = go("POST", "/api/v1/auth/refresh", 200, json={"refreshToken": tokens["refreshToken"]}).json()
        auth = {"Authorization": f"Bearer {tokens['accessToken']}"}
        go("GET", "/api/v1/auth/me", 200, headers=auth)
        go("GET", "/auth/mypage", 200, headers=auth)
        go("POST", "/api/v1/auth/logout", 204, headers=auth)
        go("POST", "/api/v1/auth/refresh", 401, json={"refreshToken": tokens["refreshToken"]})

        other = f"{new_user('oa-pred')}@example.com"
        go("POST", "/auth/certification", 200, json={"email": other})
        go("POST", "/auth/certification/request", 200, json={"email": other, "confirmationRequest": sink.code_for(other)})
        go("POST", "/auth/signUp", 201, json={"name": "문서", "email": other, "password": "a long password",
                                              "confirmationRequest": True, "birthDate": "1990-01-01"})
        go("POST", "/auth/login", 200, json={"email": other, "password": "a long password"})
    finally:
        srv.stop()
        sink.stop()
