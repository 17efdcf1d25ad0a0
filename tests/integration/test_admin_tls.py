"""The admin listener over HTTPS (`--admin-tls`, SPEC §12): the broker's
certificate (--tls-cert/--tls-key) verified against the test CA, login and
API calls, /metrics, the live WebSocket over wss://, plaintext HTTP and a
bad handshake on the HTTPS port refused cleanly while the broker keeps
serving, and no start without a certificate."""
import asyncio
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest
import websockets

from adminapi import Api, admin_api
from conftest import Broker, binary_path, cli, free_port
from devices import tls_context
from mqttc import V311, Client


@pytest.fixture
def https_broker(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    cli(str(tmp_path / "b" / "data"), "cert", "dev", "--out", str(certs))
    b = Broker(tmp_path / "b", ("--admin-tls", "true", "--tls-cert", str(certs / "cert.pem"),
                                "--tls-key", str(certs / "key.pem")))
    b.ca = str(certs / "cert.pem")
    b.admin_ssl = tls_context(b.ca)  # verifies the chain and the name 127.0.0.1
    yield b
    code = b.stop()
    text = b.log_text()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert "runtime error:" not in text, text[-4000:]
    assert code == 0, text[-4000:]


def test_serves_the_brokers_certificate(https_broker):
    b = https_broker
    served = ssl.get_server_certificate(("127.0.0.1", b.admin_port))
    with open(b.ca) as f:
        mine = f.read()
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(mine)
    assert "listening: admin https://" in b.log_text()
    # A client that does not trust the test CA refuses the connection.
    with pytest.raises(urllib.error.URLError) as e:
        urllib.request.urlopen(b.admin_url("/metrics"), timeout=10,
                               context=ssl.create_default_context())
    assert isinstance(e.value.reason, ssl.SSLCertVerificationError)


def test_login_and_api_calls_over_https(https_broker):
    b = https_broker
    assert Api(b).login("admin", "wrong")[0] == 401
    api = admin_api(b)  # logs in over HTTPS
    status, p = api.post("/api/v1/products", {"name": "lamp_tls"})
    assert status in (200, 201), p
    status, got = api.get("/api/v1/products/%s" % p["productKey"])
    assert status == 200 and got["name"] == "lamp_tls"
    status, out = api.post("/api/v1/products/%s/devices" % p["productKey"], {"name": "lamp-0001"})
    assert status in (200, 201) and "deviceSecret" in out
    status, lst = api.get("/api/v1/products/%s/devices" % p["productKey"])
    assert status == 200 and lst["total"] == 1
    assert api.get("/api/v1/products", token="0" * 64)[0] == 401
    # The 1 MiB body limit holds over TLS too.
    status, err = api.post("/api/v1/products", raw=b"x" * (1024 * 1024 + 10))
    assert status == 413 and err["code"] == "body_too_large"


def test_metrics_over_https(https_broker):
    b = https_broker
    c = Client(b.port, "tls-metrics", V311)
    c.pub("a/b", b"1", 0)
    with urllib.request.urlopen(b.admin_url("/metrics"), timeout=10, context=b.admin_ssl) as r:
        assert r.status == 200
        text = r.read().decode()
    assert 'iotbroker_connections{listener="mqtt"} 1' in text
    c.close()


def test_live_websocket_over_wss(https_broker):
    b = https_broker
    api = admin_api(b)

    async def go():
        url = "wss://127.0.0.1:%d/api/v1/ws?token=%s" % (b.admin_port, api.token)
        async with websockets.connect(url, ssl=b.admin_ssl) as ws:
            await ws.send(json.dumps({"subscribe": "metrics"}))
            seen = set()
            for _ in range(4):
                f = json.loads(await asyncio.wait_for(ws.recv(), 5))
                seen.add(f["type"])
                if "metrics" in seen:
                    break
            assert seen >= {"ok", "metrics"}, seen
        # Without a token: 401, as over HTTP.
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect("wss://127.0.0.1:%d/api/v1/ws" % b.admin_port,
                                          ssl=b.admin_ssl):
                pass
        assert e.value.status_code == 401
    asyncio.run(go())
    assert "opened the live WebSocket" in b.log_text()


def test_plaintext_http_and_bad_handshakes_are_refused(https_broker):
    b = https_broker
    # Plain HTTP on the HTTPS port: a plaintext 400 naming the problem.
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % b.admin_port, timeout=10)
    assert e.value.code == 400
    assert json.loads(e.value.read())["code"] == "https_required"
    # Garbage instead of a ClientHello, and a client that gives up halfway:
    # closed, the broker unharmed.
    for junk in (b"\x16\x03\x01\x00\x05garbagegarbage", b"\x00" * 600, b"\x16\x03"):
        with socket.create_connection(("127.0.0.1", b.admin_port), timeout=10) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            rest = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
            assert b"HTTP/1.1" not in rest
    log = b.log_text()
    assert "plaintext HTTP on the HTTPS port (400)" in log
    assert "TLS handshake failed" in log
    # Still serving, over HTTPS.
    api = admin_api(b)
    assert api.get("/api/v1/products")[0] == 200
    assert b.alive()


def test_admin_tls_without_a_certificate_does_not_start(tmp_path):
    args = [binary_path(), "--mqtt", "127.0.0.1:%d" % free_port(), "--ws", "127.0.0.1:0",
            "--wss", "127.0.0.1:0",
            "--admin", "127.0.0.1:%d" % free_port(), "--admin-tls", "true",
            "--data-dir", str(tmp_path / "data")]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "--admin-tls needs --tls-cert and --tls-key" in out, out
    assert "ERROR: AddressSanitizer" not in out, out
