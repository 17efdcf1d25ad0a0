"""TLS listener (BoringSSL) and dynamic registration (SPEC §2.2): devices
connect over TLS 1.3 and over TLS 1.2 with the RSA-key-exchange suite the
mbedtls SDKs use; untrusted certificates and plaintext on the TLS port fail
cleanly; pre-registered and registration-free registration end to end, and
every refusal with its documented code."""
import json
import socket
import ssl
import time

import pytest

from conftest import Broker, cli, free_port
from devices import device_credentials, register_credentials, tls_context
from mqttc import V311, V5, Client


def rc_value(rc):
    return rc if isinstance(rc, int) else rc.value


@pytest.fixture
def tls_broker(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    data = str(tmp_path / "b" / "data")
    cli(data, "cert", "dev", "--out", str(certs))
    tls_port = free_port()
    b = Broker(tmp_path / "b", ("--mqtts", "127.0.0.1:%d" % tls_port, "--tls-cert",
                                str(certs / "cert.pem"), "--tls-key", str(certs / "key.pem"),
                                "--device-connect-rate", "1000"))
    b.tls_port = tls_port
    b.ca = str(certs / "cert.pem")
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "lamp_1", "--dynamic-register")
    _, d, _ = cli(b.data_dir, "device", "create", "--product", p["productKey"], "--name",
                  "lamp-0001")
    b.pk, b.product, b.dev = p["productKey"], p, d
    yield b
    code = b.stop()
    text = b.log_text()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert code == 0, text[-4000:]
    for secret in (p["productSecret"], d["deviceSecret"]):
        assert secret not in text


def tls_device(b, dev, version=V311, **tls):
    cid, user, pw = device_credentials(b.pk, dev["deviceName"], dev["deviceSecret"])
    return Client(b.tls_port, cid, version, username=user, password=pw,
                  tls=tls_context(b.ca, **tls))


def test_devices_connect_over_tls(tls_broker):
    b = tls_broker
    for version in (V311, V5):
        c = tls_device(b, b.dev, version)
        assert rc_value(c.rc) == 0
        c.sub("/%s/lamp-0001/user/get" % b.pk, 1)
        c.close()
    # TLS 1.2 with RSA key exchange and AES-128-CBC (mbedtls SDKs).
    c = tls_device(b, b.dev, V311, tls12_rsa=True)
    assert c.rc == 0
    assert c.c.socket().version() == "TLSv1.2"
    assert c.c.socket().cipher()[0] == "AES128-SHA"
    # A large message crosses TLS both ways intact.
    c.sub("/%s/lamp-0001/user/get" % b.pk, 1)
    app_pk = b.pk
    _, app, _ = cli(b.data_dir, "app", "create", "--product", app_pk)
    a = Client(b.tls_port, "svc", V311, username=app["accessKeyId"],
               password=app["accessKeySecret"], tls=tls_context(b.ca))
    payload = bytes(range(256)) * 800
    a.pub("/%s/lamp-0001/user/get" % b.pk, payload, 1)
    assert c.get().payload == payload


def test_untrusted_and_plaintext_clients_fail_cleanly(tls_broker, tmp_path):
    b = tls_broker
    # A client that does not trust the certificate.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    with socket.create_connection(("127.0.0.1", b.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    # Plain MQTT to the TLS port: closed, nothing else happens.
    with socket.create_connection(("127.0.0.1", b.tls_port), timeout=5) as s:
        s.sendall(bytes.fromhex("100c00044d5154540402003c0000"))
        s.settimeout(5)
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"\x20")  # never a CONNACK
    # The broker still serves.
    c = tls_device(b, b.dev)
    assert c.rc == 0
    assert "TLS failed" in b.log_text()


def test_pre_registered_dynamic_registration(tls_broker):
    """register → DeviceSecret on /ext/register without SUBSCRIBE; it works."""
    b = tls_broker
    _, d2, _ = cli(b.data_dir, "device", "create", "--product", b.pk, "--name", "lamp-0002")
    cid, user, pw = register_credentials(b.pk, "lamp-0002", b.product["productSecret"])
    reg = Client(b.tls_port, cid, V311, username=user, password=pw, tls=tls_context(b.ca))
    assert reg.rc == 0
    m = reg.get()
    assert m.topic == "/ext/register"
    answer = json.loads(m.payload)
    assert answer == {"productKey": b.pk, "deviceName": "lamp-0002",
                      "deviceSecret": d2["deviceSecret"]}
    reg.close()
    c = tls_device(b, {"deviceName": "lamp-0002", "deviceSecret": answer["deviceSecret"]})
    assert c.rc == 0


def test_registration_free_flow(tls_broker):
    """regnwl → clientId + deviceToken on /ext/regnwl; connwl connects with
    the token; at most 5 client ids per DeviceName."""
    b = tls_broker
    tokens = {}
    for i in range(5):
        cid, user, pw = register_credentials(b.pk, "fresh-0001", b.product["productSecret"],
                                             auth_type="regnwl", client_id="sn%d" % i)
        reg = Client(b.tls_port, cid, V5, username=user, password=pw, tls=tls_context(b.ca))
        assert rc_value(reg.rc) == 0
        m = reg.get()
        assert m.topic == "/ext/regnwl"
        ans = json.loads(m.payload)
        assert ans["clientId"] == "sn%d" % i and ans["deviceName"] == "fresh-0001"
        tokens[ans["clientId"]] = ans["deviceToken"]
        reg.close()
    cid, user, pw = register_credentials(b.pk, "fresh-0001", b.product["productSecret"],
                                         auth_type="regnwl", client_id="sn5")
    sixth = Client(b.tls_port, cid, V311, username=user, password=pw, tls=tls_context(b.ca))
    assert sixth.rc == 5
    c = Client(b.tls_port, "sn0|securemode=-2,authType=connwl|", V311,
               username="fresh-0001&%s" % b.pk, password=tokens["sn0"], tls=tls_context(b.ca))
    assert c.rc == 0
    bad = Client(b.tls_port, "sn1|securemode=-2,authType=connwl|", V311,
                 username="fresh-0001&%s" % b.pk, password=tokens["sn0"],
                 tls=tls_context(b.ca))
    assert bad.rc == 4


def test_registration_refusals(tls_broker):
    b = tls_broker
    cid, user, pw = register_credentials(b.pk, "lamp-0001", b.product["productSecret"])
    # Over plain TCP: identifier rejected.
    assert Client(b.port, cid, V311, username=user, password=pw).rc == 2
    # A wrong ProductSecret: bad username or password.
    cid2, user2, pw2 = register_credentials(b.pk, "lamp-0001", "not-the-secret")
    assert Client(b.tls_port, cid2, V311, username=user2, password=pw2,
                  tls=tls_context(b.ca)).rc == 4
    # Unknown device for pre-registration: 4.
    cid3, user3, pw3 = register_credentials(b.pk, "nobody-01", b.product["productSecret"])
    assert Client(b.tls_port, cid3, V311, username=user3, password=pw3,
                  tls=tls_context(b.ca)).rc == 4
    # The product's switch off: not authorized.
    cli(b.data_dir, "product", "set", "--product", b.pk, "--dynamic-register", "off")
    assert Client(b.tls_port, cid, V311, username=user, password=pw,
                  tls=tls_context(b.ca)).rc == 5


def test_registration_connection_closed_after_15s(tls_broker):
    b = tls_broker
    cid, user, pw = register_credentials(b.pk, "lamp-0001", b.product["productSecret"])
    reg = Client(b.tls_port, cid, V5, username=user, password=pw, tls=tls_context(b.ca))
    assert rc_value(reg.rc) == 0
    assert reg.get().topic == "/ext/register"
    t0 = time.monotonic()
    rc = reg.disconnects.get(timeout=25)
    took = time.monotonic() - t0
    assert 13 <= took <= 20, took
    assert rc_value(rc) == 0x98


def test_server_close_sends_close_notify(tls_broker):
    """A connection the broker ends (here: a protocol violation) ends with a
    TLS close_notify: the client sees a clean EOF, not a truncation."""
    b = tls_broker
    ctx = ssl.create_default_context(cafile=b.ca)
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)  # Debian sets it
    raw = socket.create_connection(("127.0.0.1", b.tls_port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False)
    cid = b"anon-tls"
    vh = b"\x00\x04MQTT\x04\x02\x00\x3c"
    body = vh + len(cid).to_bytes(2, "big") + cid
    connect = bytes([0x10, len(body)]) + body
    s.sendall(connect)
    assert s.recv(4)[:2] == b"\x20\x02"  # CONNACK
    s.sendall(connect)  # a second CONNECT: the broker closes the connection
    data = s.recv(16)  # raises ssl.SSLEOFError without close_notify
    assert data == b""
    s.close()
