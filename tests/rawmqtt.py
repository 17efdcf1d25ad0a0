"""Hand-encoded MQTT packets for tests that need what paho 1.6 hides
(MQTT 5 PUBACK reason codes) or more connections than paho's select() loop
handles. Encoders only cover what the tests send."""
import socket
import struct
import time


def string(s):
    """An MQTT UTF-8 string: 2-byte length, bytes."""
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def varint(n):
    """An MQTT variable byte integer (remaining length)."""
    out = bytearray()
    while True:
        d = n % 128
        n //= 128
        out.append(d | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def connect_v311(client_id, clean, keep_alive=600):
    vh = string("MQTT") + bytes([4, 0x02 if clean else 0x00]) + struct.pack("!H", keep_alive)
    return packet(0x10, vh + string(client_id))


def connect_v5(port, client_id, user=None, password=None):
    """An MQTT 5 connection (clean start, keep-alive 60) whose CONNACK was
    accepted; returns the blocking socket."""
    flags = 0xC2 if user is not None else 0x02
    vh = string("MQTT") + bytes([5, flags]) + struct.pack("!H", 60) + b"\x00"
    body = vh + string(client_id) + (string(user) + string(password) if user is not None else b"")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(packet(0x10, body))
    hdr = s.recv(2)
    rest = b""
    while len(rest) < hdr[1]:
        rest += s.recv(hdr[1] - len(rest))
    assert hdr[0] == 0x20 and rest[1] == 0, rest
    return s


def publish_v5(topic, payload, qos, packet_id):
    body = string(topic) + struct.pack("!H", packet_id) + b"\x00" + payload
    return packet(0x30 | (qos << 1), body)


def read_pubacks(s, n, timeout=10):
    """Reads up to `n` PUBACKs: [(packet id, reason code)]."""
    acks = []
    buf = b""
    deadline = time.monotonic() + timeout
    while len(acks) < n and time.monotonic() < deadline:
        buf += s.recv(4096)
        while len(buf) >= 2 and buf[1] < 128 and len(buf) >= 2 + buf[1]:
            t, ln = buf[0], buf[1]
            body, buf = buf[2:2 + ln], buf[2 + ln:]
            if t >> 4 == 4:
                pid = struct.unpack("!H", body[:2])[0]
                acks.append((pid, body[2] if ln > 2 else 0))
    return acks
