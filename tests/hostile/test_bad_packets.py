"""Hostile input, in the spirit of Mosquitto's 01-bad-initial-packets.py:
raw bytes the broker must refuse with the right reaction and a log line,
while memory stays bounded and everyone else keeps being served."""
import os
import socket
import struct
import time

import pytest


def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    return s


def connect_bytes(version=4, flags=0x02, keepalive=60, client_id=b"h", name=b"MQTT", extra=b""):
    body = struct.pack(">H", len(name)) + name + bytes([version, flags])
    body += struct.pack(">H", keepalive)
    if version == 5:
        body += b"\x00"
    body += struct.pack(">H", len(client_id)) + client_id + extra
    return bytes([0x10, len(body)]) + body


def read_all(s, limit=4096):
    """Everything until the broker closes the connection (b"" at once if it
    closed without a word)."""
    data = b""
    while True:
        try:
            chunk = s.recv(limit)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def still_serving(port):
    """A fresh client can connect, subscribe and receive its own message."""
    s = conn(port)
    s.sendall(connect_bytes(client_id=b"healthy"))
    assert s.recv(4) == b"\x20\x02\x00\x00"
    s.sendall(b"\x82\x06\x00\x01\x00\x01h\x00")
    assert s.recv(5) == b"\x90\x03\x00\x01\x00"
    s.sendall(b"\x30\x04\x00\x01hx")
    assert s.recv(6) == b"\x30\x04\x00\x01hx"
    s.close()


# (name, bytes sent after a valid 3.1.1 CONNECT or None for a bad first packet,
#  raw first bytes, expected reply prefix, log text)
FIRST_PACKET_CASES = [
    ("publish first", b"\x30\x04\x00\x01ax", b"", "not CONNECT"),
    ("pingreq first", b"\xc0\x00", b"", "not CONNECT"),
    ("subscribe first", b"\x82\x06\x00\x01\x00\x01a\x00", b"", "not CONNECT"),
    ("bad protocol name", connect_bytes(name=b"MQTX"), b"\x20\x02\x00\x01", "refused"),
    ("protocol level 6", connect_bytes(version=6), b"\x20\x02\x00\x01", "refused"),
    ("reserved connect flag", connect_bytes(flags=0x03), b"", "refused"),
    ("will qos 3", connect_bytes(flags=0x1e, extra=b"\x00\x01w\x00\x01x"), b"", "refused"),
    ("will qos without will flag", connect_bytes(flags=0x0a), b"", "refused"),
    ("password without username", connect_bytes(flags=0x42, extra=b"\x00\x01p"), b"",
     "refused"),
    ("five length bytes", b"\x10\xff\xff\xff\xff\x01", b"", ""),
]


@pytest.mark.parametrize("name,data,reply,log", FIRST_PACKET_CASES,
                         ids=[c[0] for c in FIRST_PACKET_CASES])
def test_bad_first_packet(broker, name, data, reply, log):
    s = conn(broker.port)
    s.sendall(data)
    got = read_all(s)
    assert got.startswith(reply) and len(got) <= len(reply) + 2, got
    if log:
        assert log in broker.log_text()
    still_serving(broker.port)


def test_refusal_flood_is_summarised_in_the_log(broker):
    """Every refused CONNECT is logged up to 20 a second per kind; a flood is
    held back and counted on the next line, and the broker keeps serving."""
    started = time.monotonic()
    for _ in range(300):
        s = conn(broker.port)
        s.sendall(connect_bytes(flags=0x03))  # reserved flag: refused
        read_all(s)
        s.close()
    elapsed = time.monotonic() - started
    lines = [l for l in broker.log_text().splitlines() if "CONNECT refused" in l]
    assert 20 <= len(lines) <= 20 * (int(elapsed) + 2), (len(lines), elapsed)
    time.sleep(1.1)
    s = conn(broker.port)
    s.sendall(connect_bytes(flags=0x03))
    read_all(s)
    s.close()
    wait_for_log = time.monotonic() + 5
    while "similar lines suppressed" not in broker.log_text() and time.monotonic() < wait_for_log:
        time.sleep(0.05)
    assert "similar lines suppressed" in broker.log_text()
    still_serving(broker.port)


def v311_session(port):
    s = conn(port)
    s.sendall(connect_bytes())
    assert s.recv(4) == b"\x20\x02\x00\x00"
    return s


AFTER_CONNECT_CASES = [
    ("publish qos 3", b"\x36\x04\x00\x01ax"),
    ("wildcard in topic", b"\x30\x04\x00\x01+x"),
    ("invalid utf8 topic", b"\x30\x05\x00\x02\xc0\x80x"),
    ("surrogate in topic", b"\x30\x06\x00\x03\xed\xa0\x80x"),
    ("nul in topic", b"\x30\x04\x00\x01\x00x"),
    ("qos1 packet id 0", b"\x32\x06\x00\x01a\x00\x00x"),
    ("subscribe bad flags", b"\x80\x06\x00\x01\x00\x01a\x00"),
    ("subscribe no filters", b"\x82\x02\x00\x01"),
    ("hash not last", b"\x82\x0a\x00\x01\x00\x05a/#/b\x00"),
    ("second connect", connect_bytes()),
    ("truncated then garbage", b"\x30\x10\x00\x01a"),
]


@pytest.mark.parametrize("name,data", AFTER_CONNECT_CASES, ids=[c[0] for c in AFTER_CONNECT_CASES])
def test_bad_packet_after_connect_closes(broker, name, data):
    s = v311_session(broker.port)
    s.sendall(data)
    if name == "truncated then garbage":
        s.shutdown(socket.SHUT_WR)
    assert read_all(s) == b""  # 3.1.1: closed without a word
    still_serving(broker.port)


def test_v5_errors_get_disconnect_reason(broker):
    """MQTT 5: a duplicate property → DISCONNECT with a reason code; a
    second CONNECT → 0x82."""
    s = conn(broker.port)
    s.sendall(connect_bytes(version=5))
    assert s.recv(3)[:1] == b"\x20"
    s.recv(256)
    # PUBLISH topic "a", properties: payload format twice (duplicate)
    body = b"\x00\x01a" + b"\x04\x01\x00\x01\x00" + b"x"
    s.sendall(bytes([0x30, len(body)]) + body)
    got = read_all(s)
    assert got[0] == 0xE0 and got[2] in (0x81, 0x82), got
    assert "sent a bad packet" in broker.log_text()
    still_serving(broker.port)


def test_oversize_refused_before_body(broker):
    """A fixed header announcing 10 MB is refused before the body arrives:
    v5 gets DISCONNECT 0x95, and the socket closes at once."""
    s = conn(broker.port)
    s.sendall(connect_bytes(version=5))
    s.recv(256)
    t0 = time.monotonic()
    s.sendall(b"\x30\x80\xad\xe2\x04")  # remaining length 10,000,000, no body
    got = read_all(s)
    assert time.monotonic() - t0 < 2
    assert got[:1] == b"\xe0" and got[2] == 0x95, got
    still_serving(broker.port)


def test_garbage_flood_memory_bounded(broker):
    """200 connections sending 4 KB of random bytes each, then 2,000 short
    malformed connections: RSS grows by less than 64 MiB and the broker
    keeps serving."""
    still_serving(broker.port)
    before = broker.rss_kib()
    socks = []
    for _ in range(200):
        s = conn(broker.port)
        try:
            s.sendall(b"\x10" + os.urandom(4095))
        except OSError:
            pass
        socks.append(s)
    # Some random headers announce a body that never comes: the broker
    # holds at most the announced (bounded) size until the connect timeout.
    still_serving(broker.port)
    assert broker.rss_kib() - before < 64 * 1024
    for s in socks:
        s.close()
    for i in range(2000):
        s = conn(broker.port)
        s.sendall(connect_bytes(version=5)[:-1] + b"\xff" if i % 2 else b"\x30\xff\xff\xff\xff\xff")
        s.close()
    still_serving(broker.port)
    assert broker.rss_kib() - before < 64 * 1024
    assert broker.alive()


def test_silent_client_closed_after_connect_timeout(broker_factory):
    """A client that never sends CONNECT is closed after --connect-timeout."""
    b = broker_factory("--connect-timeout", "1")
    s = conn(b.port)
    t0 = time.monotonic()
    assert read_all(s) == b""
    assert 0.8 <= time.monotonic() - t0 <= 3
    assert "no complete CONNECT within" in b.log_text()
