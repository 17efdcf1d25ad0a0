"""MQTT over WebSocket (SPEC §2): the `ws` and `wss` listeners, path /mqtt,
subprotocol `mqtt`, binary frames. paho over `transport="websockets"` talks
to TCP and TLS clients; devices sign in over WSS; a packet may span frames
and a frame may hold several packets (raw frames from Python's
`websockets`); bad upgrades, text frames, oversize frames and garbage get a
clean close and a log line while the broker keeps serving."""
import asyncio
import socket
import struct
import time

import pytest
import websockets

from conftest import Broker, cli, free_port
from devices import device_credentials, tls_context
from mqttc import V311, V5, Client


def rc_value(rc):
    return rc if isinstance(rc, int) else rc.value


@pytest.fixture
def ws_broker(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    data = str(tmp_path / "b" / "data")
    cli(data, "cert", "dev", "--out", str(certs))
    tls_port, wss_port = free_port(), free_port()
    b = Broker(tmp_path / "b", ("--mqtts", "127.0.0.1:%d" % tls_port,
                                "--wss", "127.0.0.1:%d" % wss_port,
                                "--tls-cert", str(certs / "cert.pem"),
                                "--tls-key", str(certs / "key.pem"),
                                "--device-connect-rate", "1000", "--max-packet-size", "4096"))
    b.tls_port, b.wss_port, b.ca = tls_port, wss_port, str(certs / "cert.pem")
    yield b
    code = b.stop()
    text = b.log_text()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert code == 0, text[-4000:]


def test_websocket_client_talks_to_tcp_and_tls_clients(ws_broker):
    b = ws_broker
    for version in (V311, V5):
        ws = Client(b.ws_port, "ws-%d" % version, version, transport="websockets")
        assert rc_value(ws.rc) == 0
        tcp = Client(b.port, "tcp-%d" % version, version)
        tls = Client(b.tls_port, "tls-%d" % version, version, tls=tls_context(b.ca))
        ws.sub("from/+", 1)
        tcp.sub("to/tcp", 1)
        tls.sub("to/tls", 1)
        tcp.pub("from/tcp", b"a", 1)
        tls.pub("from/tls", b"b" * 3000, 1)  # spans several TCP segments
        got = sorted((m.topic, len(m.payload)) for m in (ws.get(), ws.get()))
        assert got == [("from/tcp", 1), ("from/tls", 3000)]
        ws.pub("to/tcp", b"c", 1)
        ws.pub("to/tls", b"d", 0)
        assert tcp.get().payload == b"c"
        assert tls.get().payload == b"d"
        for c in (ws, tcp, tls):
            c.close()


def test_websocket_retained_will_and_qos2(ws_broker):
    b = ws_broker
    pub = Client(b.ws_port, "ws-pub", V5, transport="websockets")
    pub.pub("keep/it", b"retained", 1, retain=True)
    dying = Client(b.ws_port, "ws-dying", V311, transport="websockets",
                   will=("wills/ws", b"gone", 1, False))
    sub = Client(b.ws_port, "ws-sub", V5, transport="websockets")
    sub.sub("keep/#", 2)
    m = sub.get()
    assert (m.topic, m.payload, m.retain) == ("keep/it", b"retained", True)
    sub.sub("wills/#", 1)
    dying.drop()
    m = sub.get(timeout=10)
    assert (m.topic, m.payload) == ("wills/ws", b"gone")
    sub.sub("q2", 2)
    pub.pub("q2", b"exactly once", 2)
    m = sub.get()
    assert (m.payload, m.qos) == (b"exactly once", 2)
    assert sub.none() is None


def test_device_signs_in_over_wss(ws_broker):
    b = ws_broker
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "lamp_1")
    pk = p["productKey"]
    _, d, _ = cli(b.data_dir, "device", "create", "--product", pk, "--name", "lamp-0001")
    cid, user, pw = device_credentials(pk, "lamp-0001", d["deviceSecret"])
    dev = Client(b.wss_port, cid, V311, username=user, password=pw, tls=tls_context(b.ca),
                 transport="websockets")
    assert rc_value(dev.rc) == 0
    dev.sub("/%s/lamp-0001/user/get" % pk, 1)
    # Device topic authorization holds over WSS as over TCP.
    assert dev.sub("/%s/other/user/get" % pk, 1)[0] == 128
    _, app, _ = cli(b.data_dir, "app", "create", "--product", pk, "--name", "backend")
    backend = Client(b.port, "backend", V311, username=app["accessKeyId"],
                     password=app["accessKeySecret"])
    backend.sub("/%s/+/user/update" % pk, 1)
    dev.pub("/%s/lamp-0001/user/update" % pk, b"21.5", 1)
    assert backend.get().payload == b"21.5"
    # A bad signature is refused over WSS too.
    bad = Client(b.wss_port, cid, V311, username=user, password="00" * 32,
                 tls=tls_context(b.ca), transport="websockets")
    assert rc_value(bad.rc) == 4
    assert d["deviceSecret"] not in b.log_text()


def packet(first, body):
    n, length = len(body), b""
    while True:
        byte, n = n & 0x7F, n >> 7
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + length + body


def mqtt_connect(client_id, keepalive=60):
    body = struct.pack("!H", 4) + b"MQTT" + bytes([4, 2]) + struct.pack("!H", keepalive)
    body += struct.pack("!H", len(client_id)) + client_id.encode()
    return packet(0x10, body)


def mqtt_subscribe(topic, pid=1):
    body = struct.pack("!H", pid) + struct.pack("!H", len(topic)) + topic.encode() + b"\x00"
    return packet(0x82, body)


def mqtt_publish(topic, payload):
    body = struct.pack("!H", len(topic)) + topic.encode() + payload
    return packet(0x30, body)


async def raw_session(port, frames):
    """Sends `frames` (bytes each) as binary WebSocket messages; returns
    what came back until the broker went quiet."""
    async with websockets.connect("ws://127.0.0.1:%d/mqtt" % port, subprotocols=["mqtt"],
                                  max_size=None) as ws:
        assert ws.subprotocol == "mqtt"
        for f in frames:
            await ws.send(f)
        got = b""
        while True:
            try:
                got += await asyncio.wait_for(ws.recv(), 1.0)
            except asyncio.TimeoutError:
                return got


def test_packets_span_frames_and_frames_hold_packets(ws_broker):
    b = ws_broker
    sub = Client(b.port, "tcp-sub", V311)
    sub.sub("split/#", 0)
    stream = mqtt_connect("raw-ws") + mqtt_subscribe("echo") + mqtt_publish("split/a", b"1")
    stream += mqtt_publish("split/b", b"2" * 300)
    # One byte per frame for the first packets, then everything else in one frame.
    frames = [stream[i:i + 1] for i in range(20)] + [stream[20:]]
    got = asyncio.run(raw_session(b.ws_port, frames))
    assert got.startswith(b"\x20\x02\x00\x00")  # CONNACK accepted
    assert b"\x90\x03\x00\x01\x00" in got  # SUBACK
    assert sub.get().topic == "split/a"
    m = sub.get()
    assert (m.topic, m.payload) == ("split/b", b"2" * 300)


def http_exchange(port, request, read=4096):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(request)
    data = b""
    try:
        while True:
            chunk = s.recv(read)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data


UPGRADE = (b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")


def masked(first, payload):
    key = b"\x01\x02\x03\x04"
    if len(payload) < 126:
        head = bytes([first, 0x80 | len(payload)])
    elif len(payload) <= 0xFFFF:
        head = bytes([first, 0x80 | 126]) + struct.pack("!H", len(payload))
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack("!Q", len(payload))
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def close_code(data):
    """The code of the close frame that ends `data` after the 101 answer."""
    frames = data.split(b"\r\n\r\n", 1)[1]
    i = frames.rfind(b"\x88")
    assert i >= 0, data
    return struct.unpack("!H", frames[i + 2:i + 4])[0]


@pytest.mark.parametrize("request_bytes,status", [
    (UPGRADE.replace(b"/mqtt", b"/other"), b"404"),
    (UPGRADE.replace(b"Sec-WebSocket-Protocol: mqtt", b"Sec-WebSocket-Protocol: chat"), b"400"),
    (UPGRADE.replace(b"Version: 13", b"Version: 7"), b"426"),
    (UPGRADE.replace(b"Upgrade: websocket\r\n", b""), b"400"),
    (b"GET /mqtt HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", b"431"),
    (b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00\r\n\r\n", b"400"),  # MQTT on the WS port
])
def test_bad_upgrades_get_an_http_error(ws_broker, request_bytes, status):
    b = ws_broker
    data = http_exchange(b.ws_port, request_bytes)
    assert data.startswith(b"HTTP/1.1 " + status), data[:200]
    assert "websocket:" in b.log_text()
    assert rc_value(Client(b.ws_port, "after-bad", V311, transport="websockets").rc) == 0


@pytest.mark.parametrize("frame,code", [
    (masked(0x81, b"text is not MQTT"), 1003),
    (masked(0x82, b"\x00" * 9000), 1009),  # above max-packet-size (4096) + 1 KiB
    (bytes([0x82, 0x05]) + b"hello", 1002),  # unmasked
    (masked(0x8F, b"x"), 1002),  # unknown opcode
])
def test_bad_frames_close_cleanly(ws_broker, frame, code):
    b = ws_broker
    data = http_exchange(b.ws_port, UPGRADE + masked(0x82, mqtt_connect("bad-frame")) + frame)
    assert data.startswith(b"HTTP/1.1 101")
    assert close_code(data) == code
    assert "websocket:" in b.log_text()
    assert rc_value(Client(b.ws_port, "after-frame", V311, transport="websockets").rc) == 0


def test_garbage_inside_frames_is_a_bad_packet(ws_broker):
    b = ws_broker
    data = http_exchange(b.ws_port, UPGRADE + masked(0x82, b"\xff\xff\xff\xff\xff\xff"))
    assert data.startswith(b"HTTP/1.1 101")
    assert b"\x20\x02" not in data  # no CONNACK for garbage
    assert rc_value(Client(b.ws_port, "after-garbage", V311, transport="websockets").rc) == 0


def test_peer_that_never_reads_does_not_stall_others(ws_broker):
    b = ws_broker
    s = socket.create_connection(("127.0.0.1", b.ws_port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(UPGRADE + masked(0x82, mqtt_connect("never-reads") + mqtt_subscribe("flood")))
    pub = Client(b.port, "flooder", V311)
    other = Client(b.ws_port, "reader", V311, transport="websockets")
    other.sub("flood", 0)
    t0 = time.monotonic()
    for i in range(3000):
        pub.c.publish("flood", b"x" * 1000, 0)
    n = 0
    while n < 3000:
        if other.none(wait=5) is None:
            break
        n += 1
    assert n >= 2900, n  # the reader gets (nearly) everything; QoS 0 may drop
    assert time.monotonic() - t0 < 30
    s.close()
