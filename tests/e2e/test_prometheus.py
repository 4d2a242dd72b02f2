"""Metrics scraped for real: a Prometheus (Debian's) scrapes two pension720 instances with the
shipped scrape config; /metrics passes promtool; every query of the shipped Grafana dashboard
parses in Prometheus and names only metrics that /metrics exposes."""
import json
import math
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import REPO, Server, free_port, new_user

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
SCRAPE_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "pension720-dashboard.json"
JOB = "pension720"
PURCHASES = 3

class Prometheus:
    """/usr/bin/prometheus on a free 127.0.0.1 port, scraping `targets` every second."""

    def __init__(self, tmp_path, targets):
        self.dir = Path(tmp_path)
        config = yaml.safe_load(SCRAPE_CONFIG.read_text())
        config["global"]["scrape_interval"] = "1s"
        config["global"]["scrape_timeout"] = "1s"
        job = next(j for j in config["scrape_configs"] if j["job_name"] == JOB)
        job["static_configs"] = [{"targets": targets}]
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config))
        self.proc = None
        self.port = None

    def start(self):
        for attempt in range(3):  # a port taken between free_port() and bind: try another one
            self.port = free_port()
            self.log_path = self.dir / f"prometheus.{attempt}.log"
            cmd = [PROMETHEUS, f"--config.file={self.config}", f"--storage.tsdb.path={self.dir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{self.port}"]
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            self.stop()
        raise AssertionError(f"prometheus did not become ready; log:\n{self.log_path.read_text()[-4000:]}")

    def _wait_ready(self, attempts=300):
        for _ in range(attempts):
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url("/-/ready"), timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling interval of the bounded startup poll
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def query(self, expr):
        """The API's whole answer to an instant query (status "success" or "error")."""
        return requests.get(self.url("/api/v1/query"), params={"query": expr}, timeout=10).json()

    def poll(self, expr, accept, attempts=200):
        """Polls `expr` (bounded) until accept(vector) holds; returns the last vector."""
        vector = []
        for _ in range(attempts):
            answer = self.query(expr)
            assert answer["status"] == "success", answer
            vector = answer["data"]["result"]
            if accept(vector):
                return vector
            time.sleep(0.1)  # polling interval: scrapes come every second
        return vector


def target(srv):
    return f"127.0.0.1:{srv.port}"


def value_of(vector, instance):
    for sample in vector:
        if sample["metric"].get("instance") == instance:
            return float(sample["value"][1])
    return None


@pytest.fixture(scope="module")
def redis_down(tmp_path_factory):
    """An instance configured with a Redis nothing listens on: it still sells, Redis is DOWN."""
    srv = Server(tmp_path_factory.mktemp("redisdown"), "redisdown",
                 env={"PENSION_REDIS": f"redis://127.0.0.1:{free_port()}"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, server, redis_down):
    prom = Prometheus(tmp_path_factory.mktemp("prometheus"), [target(server), target(redis_down)]).start()
    yield prom
    prom.stop()


@pytest.fixture(scope="module")
def purchases(server):
    """PURCHASES purchases (one ticket each) on `server`, made before Prometheus is asked."""
    u = new_user()
    server.deposit(u, 1000 * PURCHASES)
    for i in range(PURCHASES):
        r = server.buy(u, [{"group": 1 + i, "number": f"{7100 + i:06d}"}])
        assert r.status_code == 201, r.text
    return PURCHASES


def promtool(*args, stdin=None):
    return subprocess.run([PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=60)


def samples(text):
    """{(name, labels): value} of an exposition text, labels as a sorted tuple of pairs."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert m, line
        labels = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def test_the_shipped_scrape_config_is_valid():
    r = promtool("check", "config", str(SCRAPE_CONFIG))
    assert r.returncode == 0, r.stdout + r.stderr
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == JOB)
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083"]


def test_metrics_pass_promtool_and_histograms_are_cumulative(server, redis_down, purchases):
    for srv in (server, redis_down):
        text = srv.get("/metrics").text
        r = promtool("check", "metrics", stdin=text)
        assert r.returncode == 0, r.stdout + r.stderr + text
        s = samples(text)
        # Every histogram: buckets non-decreasing in le, ending with +Inf equal to _count.
        histograms = {}
        for (name, labels), v in s.items():
            if name.endswith("_bucket"):
                rest = tuple(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                histograms.setdefault((name[:-len("_bucket")], rest), []).append(
                    (math.inf if le == "+Inf" else float(le), v))
        assert ("pension_store_batch_size", ()) in histograms
        for (base, rest), buckets in histograms.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (base, rest, buckets)
            assert buckets[-1][0] == math.inf, (base, rest)
            assert buckets[-1][1] == s[(base + "_count", rest)], (base, rest)
            assert (base + "_sum", rest) in s, (base, rest)
    # The purchase route's latency, per method; the store's batches and the Redis gauge.
    s = samples(server.get("/metrics").text)
    route = (("method", "POST"), ("route", "/api/v1/pension/purchases"))
    assert s[("pension_http_request_duration_seconds_count", route)] >= purchases
    assert s[("pension_purchases_total", ())] >= purchases
    assert s[("pension_store_batch_jobs_total", ())] >= s[("pension_store_batches_total", ())] >= 1
    assert s[("pension_store_batch_size_count", ())] == s[("pension_store_batches_total", ())]
    assert ("pension_store_errors_total", ()) in s
    assert not any(name == "pension_redis_up" for name, _ in s), "no Redis configured: no gauge"
    assert samples(redis_down.get("/metrics").text)[("pension_redis_up", ())] == 0


def test_prometheus_scrapes_the_purchases(server, redis_down, purchases, prometheus):
    up = prometheus.poll(f'up{{job="{JOB}"}}', lambda v: len(v) == 2 and all(s["value"][1] == "1" for s in v))
    assert sorted(s["metric"]["instance"] for s in up) == sorted([target(server), target(redis_down)]), up
    assert all(s["value"][1] == "1" for s in up), up
    bought = prometheus.poll("pension_purchases_total",
                             lambda v: (value_of(v, target(server)) or 0) >= purchases)
    assert value_of(bought, target(server)) >= purchases, bought
    redis = prometheus.poll("pension_redis_up", lambda v: value_of(v, target(redis_down)) is not None)
    assert value_of(redis, target(redis_down)) == 0, redis
    assert value_of(redis, target(server)) is None, redis


def test_every_dashboard_query_parses_and_names_exposed_metrics(server, redis_down, purchases, prometheus):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["description"] and dashboard["title"] and dashboard["panels"]
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 5
    exposed = set()
    for srv in (server, redis_down):
        exposed |= {name for name, _ in samples(srv.get("/metrics").text)}
    for expr in exprs:
        answer = prometheus.query(expr)
        assert answer["status"] == "success", (expr, answer)
        for name in re.findall(r"\bpension_[a-z0-9_]+", expr):
            assert name in exposed, (expr, name)
    # The panels the operators asked for are there.
    joined = "\n".join(exprs)
    for needed in ("rate(pension_purchases_total[1m])", "histogram_quantile(0.99",
                   "pension_http_request_duration_seconds_bucket", "pension_store_batch_jobs_total",
                   "pension_store_errors_total", "pension_redis_up"):
        assert needed in joined, needed
