"""The access log: one JSON line per request, none lost, with the request id the client saw —
written from the logger's own thread (src/logging.cc), so this checks nothing queued is dropped at
a clean stop, with many concurrent clients logging at once."""
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from conftest import Server


def test_every_request_is_logged_once_with_its_request_id(tmp_path):
    srv = Server(tmp_path).start()
    ids = []
    try:
        def burst(n):
            with requests.Session() as s:
                out = []
                for i in range(n):
                    path = "/api/v1/pension/round" if i % 2 else "/api/v1/pension/nope"
                    r = s.get(srv.url(path), timeout=30)
                    assert r.status_code in (200, 404), r.text
                    out.append((r.headers["X-Request-Id"], path, r.status_code))
                return out
        with ThreadPoolExecutor(16) as pool:
            for part in pool.map(burst, [250] * 16):
                ids.extend(part)
    finally:
        srv.stop()
    lines = [json.loads(line) for line in Path(srv.log_path).read_text().splitlines() if line.startswith("{")]
    logged = {}
    for line in lines:
        if line.get("msg") == "request":
            assert line["requestId"] not in logged, f"logged twice: {line}"
            logged[line["requestId"]] = line
    assert len(ids) == 4000
    for rid, path, status in ids:
        assert rid in logged, f"request {rid} {path} missing from the access log"
        assert (logged[rid]["path"], logged[rid]["status"]) == (path, status)
    # The last line is the shutdown's: the logger wrote everything queued before it.
    assert lines[-1]["msg"] == "stopped", lines[-1]
