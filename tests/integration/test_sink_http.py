"""The HTTP webhook sink (`http`, SPEC §9) in the running broker, against
real Python HTTP(S) servers on 127.0.0.1: rules deliver every record (JSON
array bodies, configured headers), HTTPS verifies the chain and the host
name (a throwaway CA made with `cryptography`), and the reliability cases
of the issue — a webhook that is down, one that hangs, one that is slow:
MQTT QoS 1 round trips are not slowed, a file-sink rule on the same
messages gets every record at once, the bad action's buffer stays within
its limits, and failing records reach the error action after the retries
(1 s, 3 s, 10 s)."""
import base64
import datetime
import http.server
import json
import os
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adminapi import admin_api
from conftest import binary_path
from mqttc import Client
from waiting import wait_for

MAX_QUEUE_RECORDS = 10_000
MAX_QUEUE_BYTES = 16 << 20


def plugin_dir():
    return os.path.join(os.path.dirname(os.path.abspath(binary_path())), "plugins")


@pytest.fixture
def env(broker_factory):
    b = broker_factory("--plugin-dir", plugin_dir(), "--allow-anonymous")
    return {"broker": b, "api": admin_api(b)}


def create(e, body):
    status, out = e["api"].post("/api/v1/rules", body)
    assert status == 201, (status, out)
    return out


def metrics(e, rid):
    status, out = e["api"].get("/api/v1/rules/%s/metrics" % rid)
    assert status == 200, out
    return out


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


# ---- servers -------------------------------------------------------------

class Hook:
    """A keep-alive HTTP/1.1 (or HTTPS) server that records each request and
    answers `status` after `delay` seconds."""

    def __init__(self, status=200, delay=0.0, tls=None):
        hook = self
        self.requests = []
        self.connections = 0
        self.lock = threading.Lock()
        self.status, self.delay = status, delay

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if hook.delay:
                    time.sleep(hook.delay)
                with hook.lock:
                    hook.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers), "body": body})
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                with hook.lock:
                    hook.connections += 1
                if tls is not None:  # the handshake in the connection's thread
                    try:
                        request = tls.wrap_socket(request, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                super().finish_request(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def records(self):
        """Every record received (array bodies flattened)."""
        out = []
        with self.lock:
            for r in self.requests:
                v = json.loads(r["body"])
                out.extend(v if isinstance(v, list) else [v])
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """Accepts connections and never reads or answers (a hung webhook)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(c)

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in self.held:
            c.close()


def refused_port():
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers():
    made = []

    def track(s):
        made.append(s)
        return s
    yield track
    for s in made:
        s.close()


# ---- certificates --------------------------------------------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca, dns_names, ips=()):
    import ipaddress
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    san = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(i))
                                                  for i in ips]
    cert = (x509.CertificateBuilder().subject_name(_name(dns_names[0]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def write_pem(path, cert, key=None):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return str(path)


def server_tls(tmp_path, ca, dns_names, ips=(), name="server"):
    key, cert = make_server_cert(ca, dns_names, ips)
    pem = write_pem(tmp_path / (name + ".pem"), cert, key)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    return ctx


# ---- delivery and TLS ----------------------------------------------------

def test_rule_delivers_every_record_as_json_arrays_with_headers(env, servers):
    hook = servers(Hook())
    r = create(env, {"name": "to-hook", "sql": 'SELECT n, topic() AS t FROM "data/#"',
                     "actions": [{"type": "http", "url": "http://127.0.0.1:%d/in?src=iot"
                                  % hook.port, "headers": {"X-Token": "s3cret"}}]})
    env2 = create(env, {"name": "to-hook-put", "sql": 'SELECT n FROM "data/#" WHERE n < 3',
                        "actions": [{"type": "http", "method": "PUT", "batch": "single",
                                     "body": "envelope",
                                     "url": "http://127.0.0.1:%d/one" % hook.port}]})
    pub = Client(env["broker"].port, "producer")
    for i in range(50):
        pub.pub("data/x", json.dumps({"n": i}), 1)
    arrays = lambda: [q for q in list(hook.requests) if q["path"] == "/in?src=iot"]  # noqa: E731
    assert wait_for(lambda: sum(len(json.loads(q["body"])) for q in arrays()) == 50), hook.requests
    got = [rec for q in arrays() for rec in json.loads(q["body"])]
    assert sorted(rec["n"] for rec in got) == list(range(50))
    assert got[0]["t"] == "data/x"
    for q in arrays():
        assert q["method"] == "POST" and q["headers"]["X-Token"] == "s3cret"
        assert q["headers"]["Content-Type"] == "application/json"
        assert isinstance(json.loads(q["body"]), list)
    assert hook.connections <= 2, hook.connections  # kept alive (one per action)
    singles = wait_for(lambda: len([q for q in list(hook.requests) if q["path"] == "/one"]) == 3
                       and [q for q in list(hook.requests) if q["path"] == "/one"])
    assert singles, hook.requests
    env_body = json.loads(singles[0]["body"])
    assert singles[0]["method"] == "PUT"
    assert env_body["rule"] and env_body["topic"] == "data/x" and env_body["messageId"], env_body
    assert sorted(json.loads(q["body"])["output"]["n"] for q in singles) == [0, 1, 2]
    m = wait_for(lambda: metrics(env, r["id"])["actions"][0]["success"] == 50
                 and metrics(env, r["id"]))
    assert m and m["actions"][0]["failed"] == 0, metrics(env, r["id"])
    assert metrics(env, env2["id"])["actions"][0]["failed"] == 0


def test_bad_configuration_is_refused_at_creation(env):
    for action, why in [({"type": "http"}, "url: required"),
                        ({"type": "http", "url": "ftp://x"}, "scheme"),
                        ({"type": "http", "url": "http://x", "timeout": 5}, "unknown key"),
                        ({"type": "http", "url": "https://x", "caFile": "/nonexistent.pem"},
                         "caFile")]:
        status, out = env["api"].post("/api/v1/rules", {"name": "bad", "sql": 'SELECT * FROM "a"',
                                                        "actions": [action]})
        assert status == 400, (action, out)
        assert why in out["message"] and "bad configuration" in out["message"], out


def test_https_verifies_chain_and_host_name(env, servers, tmp_path):
    ca = make_ca("test CA")
    ca_file = write_pem(tmp_path / "ca.pem", ca[1])
    other_ca_file = write_pem(tmp_path / "other-ca.pem", make_ca("other CA")[1])
    good = servers(Hook(tls=server_tls(tmp_path, ca, ["localhost"], ["127.0.0.1"])))
    wrong_name = servers(Hook(tls=server_tls(tmp_path, ca, ["wrong.example"], name="wrong")))
    errors = {k: str(tmp_path / ("%s.jsonl" % k)) for k in ("ca", "name")}
    sql = 'SELECT n FROM "data/#"'
    ok = create(env, {"name": "tls-ok", "sql": sql, "actions": [
        {"type": "http", "url": "https://localhost:%d/h" % good.port, "caFile": ca_file},
        {"type": "http", "url": "https://127.0.0.1:%d/ip" % good.port, "caFile": ca_file}]})
    bad_ca = create(env, {"name": "tls-bad-ca", "sql": sql, "actions": [
        {"type": "http", "url": "https://localhost:%d/h" % good.port, "caFile": other_ca_file,
         "timeoutMs": 2000}], "errorAction": {"type": "file", "path": errors["ca"]}})
    bad_name = create(env, {"name": "tls-bad-name", "sql": sql, "actions": [
        {"type": "http", "url": "https://localhost:%d/h" % wrong_name.port, "caFile": ca_file,
         "timeoutMs": 2000}], "errorAction": {"type": "file", "path": errors["name"]}})
    pub = Client(env["broker"].port, "producer")
    for i in range(5):
        pub.pub("data/x", json.dumps({"n": i}), 1)
    assert wait_for(lambda: len(good.records()) == 10), good.records()
    assert sorted(x["n"] for x in good.records()) == sorted(list(range(5)) * 2)
    assert {q["path"] for q in good.requests} == {"/h", "/ip"}
    assert wrong_name.requests == []
    # RETRY after 1 s, 3 s, 10 s, then the error action.
    assert wait_for(lambda: metrics(env, bad_ca["id"])["actions"][0]["retried"] >= 5, 5)
    for which, rid in (("ca", bad_ca["id"]), ("name", bad_name["id"])):
        recs = wait_for(lambda: len(lines(errors[which])) == 5 and lines(errors[which]), 25)
        assert recs, (which, lines(errors[which]), metrics(env, rid))
        for rec in recs:
            rec = rec.get("output", rec)
            assert "certificate" in rec["error"], rec
            assert "https://localhost:" in rec["error"], rec
            assert rec["attempts"] == 4, rec
    name_error = lines(errors["name"])[0]
    assert "mismatch" in name_error.get("output", name_error)["error"].lower(), name_error
    assert metrics(env, ok["id"])["actions"][1]["success"] == 5


# ---- reliability: down, hung, slow ---------------------------------------

def qos1_rate(client, topic, n=150, rounds=2):
    """Publish→PUBACK round trips per second (the best of `rounds` runs of
    `n` sequential QoS 1 publishes: the VM is shared, so take the best)."""
    best = 0.0
    for _ in range(rounds):
        t0 = time.monotonic()
        for i in range(n):
            client.pub(topic, b'{"k":%d}' % i, 1)
        best = max(best, n / (time.monotonic() - t0))
    return best


def run_bad_sink(env, tmp_path, action, messages=40, expect_errors=None, expect_success=False):
    """The checks shared by the reliability cases: `action` is the bad
    http action. Returns the bad rule's final metrics."""
    ok_path = str(tmp_path / "ok.jsonl")
    err_path = str(tmp_path / "errors.jsonl")
    ok = create(env, {"name": "to-file", "sql": 'SELECT n FROM "data/#"',
                      "actions": [{"type": "file", "path": ok_path, "fsync": "never"}]})
    pub = Client(env["broker"].port, "producer")
    probe = Client(env["broker"].port, "probe")
    baseline = qos1_rate(probe, "other/x")
    bad = create(env, {"name": "to-bad-hook", "sql": 'SELECT n FROM "data/#"',
                       "actions": [action],
                       "errorAction": {"type": "file", "path": err_path}})
    t0 = time.monotonic()
    acked = []
    for i in range(messages):
        payload = json.dumps({"n": i})
        info = pub.pub("data/x", payload, 1)
        assert info.is_published()
        acked.append(payload)
    publish_s = time.monotonic() - t0
    # (b) the file-sink rule got every acknowledged message, promptly.
    assert wait_for(lambda: len(lines(ok_path)) == messages, 5), len(lines(ok_path))
    assert sorted(r["n"] for r in lines(ok_path)) == list(range(messages))
    # (a) QoS 1 round trips while the bad sink is busy failing.
    during = qos1_rate(probe, "other/x")
    assert during >= 0.5 * baseline, (during, baseline)
    assert publish_s < 5, publish_s
    # (c) the bad action's buffer stays within its limits, (d) its records
    # are retried and then reach the error action.
    peak = {"queuing": 0, "queuedBytes": 0}

    def settled():
        a = metrics(env, bad["id"])["actions"][0]
        peak["queuing"] = max(peak["queuing"], a["queuing"] + a["inflight"])
        peak["queuedBytes"] = max(peak["queuedBytes"], a["queuedBytes"])
        if expect_success:
            return a["success"] == messages and a
        return len(lines(err_path)) == messages and a
    final = wait_for(settled, 25, step=0.2)
    assert final, (metrics(env, bad["id"]), len(lines(err_path)))
    assert peak["queuing"] <= min(messages, MAX_QUEUE_RECORDS), peak
    assert peak["queuedBytes"] <= MAX_QUEUE_BYTES, peak
    assert final["dropped"]["queue_full"] == 0, final
    if expect_errors:
        assert final["retried"] >= messages * 3, final
        assert final["failed"] == messages, final
        recs = [r.get("output", r) for r in lines(err_path)]
        assert sorted(json.loads(base64.b64decode(r["payloadBase64"]))["n"] for r in recs) \
            == list(range(messages))
        for r in recs:
            assert r["rule"] == bad["id"] and r["action"] == 0 and r["messageId"], r
            assert r["attempts"] == 4, r
            assert expect_errors in r["error"], r
    assert metrics(env, ok["id"])["actions"][0]["success"] == messages
    return final


def test_sink_that_is_down(env, tmp_path):
    port = refused_port()
    run_bad_sink(env, tmp_path, {"type": "http", "url": "http://127.0.0.1:%d/in" % port},
                 expect_errors="127.0.0.1:%d: connection refused" % port)


def test_sink_that_hangs(env, servers, tmp_path):
    silent = servers(Silent())
    run_bad_sink(env, tmp_path, {"type": "http", "url": "http://127.0.0.1:%d/in" % silent.port,
                                 "timeoutMs": 1000},
                 expect_errors="timed out after 1000 ms")


def test_sink_that_is_slow(env, servers, tmp_path):
    slow = servers(Hook(delay=1.0))
    final = run_bad_sink(env, tmp_path, {"type": "http",
                                         "url": "http://127.0.0.1:%d/in" % slow.port},
                         messages=100, expect_success=True)
    # Batching absorbs the slowness: far fewer requests than records, none
    # failed, nothing for the error action.
    assert final["failed"] == 0 and final["retried"] == 0, final
    assert len(slow.requests) < 100 / 2, len(slow.requests)
    assert sorted(r["n"] for r in slow.records()) == list(range(100))
    assert lines(str(tmp_path / "errors.jsonl")) == []
