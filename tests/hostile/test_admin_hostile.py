"""Hostile clients of the admin API (SPEC §12): raw HTTP the server must
refuse with the right status, a log line and a closed connection, bounded
time and memory, while everyone else keeps being served; and API misuse
(bad JSON, wrong types, unknown fields, bad tokens, viewers, brute force)."""
import json
import socket
import time

import pytest

from adminapi import Api, admin_api
from conftest import cli


def conn(broker, timeout=5):
    s = socket.create_connection(("127.0.0.1", broker.admin_port))
    s.settimeout(timeout)
    return s


def read_all(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return data
        if not chunk:
            return data
        data += chunk


def send_all(s, data):
    """Sends what the server takes; it may refuse (and close) midway."""
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def status_of(raw):
    line = raw.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") else None


def body_of(raw):
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


def still_serving(broker):
    status, _ = Api(broker).post("/api/v1/login", {"username": "nobody-here", "password": "x"})
    return status in (401, 429)


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/7.0\r\n\r\n",
    b"GET\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS ClientHello
    b"GET /api/v1/products HTTP/1.1\r\nHost x\r\n\r\n",
    b"POST /api/v1/login HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /api/v1/login HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
])
def test_malformed_requests_are_400_and_closed(broker, request_bytes):
    s = conn(broker)
    send_all(s, request_bytes)
    raw = read_all(s)
    assert status_of(raw) == 400, raw[:200]
    assert body_of(raw)["code"] == "bad_request"
    assert b"Connection: close" in raw
    assert "refused 127.0.0.1: malformed request" in broker.log_text()
    assert still_serving(broker)


def test_huge_headers_are_431(broker):
    s = conn(broker)
    send_all(s, b"GET /api/v1/products HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 100_000 +
             b"\r\n\r\n")
    raw = read_all(s)
    assert status_of(raw) == 431, raw[:200]
    assert "header block over 16384 bytes" in broker.log_text()
    # Many small headers adding up to more than 16 KiB: the same.
    s = conn(broker)
    send_all(s, b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90)
                                                 for i in range(300)) + b"\r\n")
    assert status_of(read_all(s)) == 431
    assert still_serving(broker)


def test_body_over_one_mib_is_413(broker):
    api = admin_api(broker)
    s = conn(broker)
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    send_all(s, b"POST /api/v1/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
             api.token.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " +
             str(len(body)).encode() + b"\r\n\r\n" + body)
    raw = read_all(s)
    assert status_of(raw) == 413, raw[:200]
    assert body_of(raw)["code"] == "body_too_large"
    assert "body over 1048576 bytes" in broker.log_text()
    # Chunked bodies are held to the same limit.
    s = conn(broker)
    chunk = b"x" * 65536
    send_all(s, b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
             (b"10000\r\n" + chunk + b"\r\n") * 20 + b"0\r\n\r\n")
    assert status_of(read_all(s)) == 413
    # Just under the limit is parsed (and refused as JSON, not as size).
    status, out, _ = api.call("POST", "/api/v1/products", raw=b"[" + b" " * 1_000_000 + b"]")
    assert status == 400 and out["code"] == "bad_json"


def test_slow_client_is_cut_off_and_others_are_served(broker):
    """A request that never completes is closed after the 10 s deadline; the
    server answers others meanwhile."""
    slow = conn(broker, timeout=30)
    slow.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    trickle = conn(broker, timeout=30)
    trickle.sendall(b"GET /api/v1/pro")
    t0 = time.monotonic()
    for _ in range(5):
        assert still_serving(broker)
    for i in range(20):  # one byte a second must not keep it alive
        try:
            trickle.sendall(b"d")
        except OSError:
            break
        time.sleep(0.5)
        if time.monotonic() - t0 > 12:
            break
    assert read_all(slow) == b""  # closed without an answer
    took = time.monotonic() - t0
    assert 8 < took < 15, took
    assert read_all(trickle) == b""
    assert "request not complete within 10000 ms" in broker.log_text()
    assert still_serving(broker)


def test_many_idle_connections_do_not_block_others(broker):
    idle = [conn(broker) for _ in range(50)]
    assert still_serving(broker)
    for s in idle:
        s.close()


def test_bad_json_wrong_types_unknown_fields(broker):
    api = admin_api(broker)
    for raw in (b"", b"{", b"null", b"[1]", b'{"name":"x",}', b"\xff\xfe", b'{"a":1} {"b":2}'):
        status, out, _ = api.call("POST", "/api/v1/products", raw=raw)
        assert status == 400 and out["code"] == "bad_json", raw
    for body, field in (({"name": 5}, "name"), ({"name": "thermo_1", "dynamicRegister": "yes"},
                                                 "dynamicRegister"),
                        ({"name": "thermo_1", "categories": "data"}, "categories"),
                        ({"name": "thermo_1", "extra": 1}, "extra"),
                        ({"username": "admin", "password": 7}, "password")):
        path = "/api/v1/login" if "username" in body else "/api/v1/products"
        status, out = api.post(path, body)
        assert status == 400 and out["code"] == "bad_field" and field in out["message"], body
    status, p = api.post("/api/v1/products", {"name": "thermo_1"})
    pk = p["productKey"]
    api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    for body in ({"enabled": "false"}, {"enabled": 0}, {}, {"enabled": False, "name": "x"}):
        status, out = api.patch("/api/v1/products/%s/devices/dev-0001" % pk, body)
        assert status == 400 and out["code"] == "bad_field", body
    for target in ("/api/v1/products?page=%zz", "/api/v1/products/%00"):
        status, out = api.get(target)
        assert status == 400, target


def test_missing_forged_and_mangled_credentials(broker):
    api = admin_api(broker)
    good = api.token
    anon = Api(broker)
    for auth in ("", "Bearer", "Bearer " + "0" * 64, "Bearer " + good[:-1],
                 "Bearer " + good + "x", "Bearer " + good.upper(), "Basic", "Basic ====",
                 "Basic " + "QUJD" * 300, "Digest " + good, "Bearer " + "a" * 5000):
        status, out, headers = anon.call("GET", "/api/v1/products", auth=auth)
        assert status == 401 and out["code"] == "unauthorized", auth[:40]
        assert headers["WWW-Authenticate"] == "Bearer"
    assert api.get("/api/v1/products")[0] == 200


def test_viewer_cannot_change_anything(broker):
    api = admin_api(broker)
    _, p = api.post("/api/v1/products", {"name": "thermo_1"})
    cli(broker.data_dir, "admin", "user", "add", "--name", "victor", "--role", "viewer",
        "--password", "v-pw-12345")
    viewer = Api(broker)
    _, out = viewer.login("victor", "v-pw-12345")
    viewer.token = out["token"]
    status, out = viewer.post("/api/v1/products/%s/devices" % p["productKey"], {"count": 10})
    assert status == 403 and out["code"] == "forbidden"
    assert api.get("/api/v1/products/%s/devices" % p["productKey"])[1]["total"] == 0


def test_brute_force_login_is_throttled(broker):
    """More than 5 failures a minute for one user → 429, even with the right
    password afterwards; the log never holds a password."""
    anon = Api(broker)
    password = broker.initial_admin_password()
    for i in range(5):
        assert anon.login("admin", "guess-%d" % i)[0] == 401
    status, out = anon.login("admin", password)
    assert status == 429 and out["code"] == "throttled"
    for i in range(20):
        assert anon.login("admin", "guess-x%d" % i)[0] == 429
    log = broker.log_text()
    assert "guess-" not in log and password not in log
    assert "login refused for user 'admin'" in log
