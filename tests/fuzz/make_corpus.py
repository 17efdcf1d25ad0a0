#!/usr/bin/python3
"""Writes the seed corpus of decoder_fuzz into corpus/decoder/.

Each file is one fuzz input: a first byte choosing the protocol version
(0: MQTT 3.1, 1: 3.1.1, 2: 5.0), then a byte stream of MQTT packets: valid
ones, several back to back, truncated ones and a few invalid ones.
Run: /usr/bin/python3 tests/fuzz/make_corpus.py
"""

import os
import struct

V31, V311, V5 = 0, 1, 2


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(data)) + data


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def props(*items):
    body = b"".join(items)
    return varint(len(body)) + body


def pkt(first, body):
    return bytes([first]) + varint(len(body)) + body


def connect(level, flags, payload, properties=b""):
    name = "MQIsdp" if level == 3 else "MQTT"
    head = s(name) + bytes([level, flags]) + u16(60)
    if level == 5:
        head += properties or props()
    return pkt(0x10, head + payload)


SEEDS = {
    # CONNECT in every version.
    "connect_v31": (V31, connect(3, 0x02, s("client-31"))),
    "connect_v311_spec": (V311, connect(4, 0xCE, s("abc") + s("w/t") + s("bye") + s("u") + s("pw"))),
    "connect_v5_props": (V5, connect(
        5, 0xC6, s("c5") + props(b"\x18" + u32(10), b"\x01\x01", b"\x26" + s("k") + s("v"))
        + s("will/t") + s("gone") + s("user") + s("pass"),
        props(b"\x11" + u32(3600), b"\x21" + u16(10), b"\x27" + u32(65536),
              b"\x22" + u16(5), b"\x15" + s("PLAIN"), b"\x16" + s(b"\x00\x01")))),
    "connect_bad_protocol": (V311, connect(6, 0x02, s("x"))),
    "connect_reserved_flag": (V311, connect(4, 0x03, s("x"))),
    # CONNACK.
    "connack_v311": (V311, pkt(0x20, b"\x01\x00")),
    "connack_v5_props": (V5, pkt(0x20, b"\x00\x00" + props(
        b"\x12" + s("auto-id"), b"\x13" + u16(30), b"\x24\x01", b"\x25\x00",
        b"\x28\x01", b"\x29\x01", b"\x2a\x00", b"\x1f" + s("hello")))),
    # PUBLISH.
    "publish_v311_qos1": (V311, pkt(0x32, s("a/b") + u16(1) + b"hi")),
    "publish_v311_qos2_dup_retain": (V311, pkt(0x3D, s("x") + u16(0x1234) + b"payload")),
    "publish_v5_props": (V5, pkt(0x33, s("t/1") + u16(7) + props(
        b"\x01\x01", b"\x02" + u32(60), b"\x03" + s("text/plain"), b"\x08" + s("re/ply"),
        b"\x09" + s(b"\x00\xff"), b"\x0b" + varint(300), b"\x0b" + varint(1),
        b"\x23" + u16(4), b"\x26" + s("a") + s("b")) + b"{\"v\":1}")),
    "publish_v5_alias_only": (V5, pkt(0x30, s("") + props(b"\x23" + u16(2)) + b"x")),
    "publish_big": (V311, pkt(0x30, s("big") + b"z" * 5000)),
    "publish_wildcard": (V311, pkt(0x30, s("a/#") + b"x")),
    "publish_bad_utf8": (V311, pkt(0x30, s(b"\xed\xa0\x80") + b"x")),
    # Acknowledgements.
    "acks_v311": (V311, pkt(0x40, u16(1)) + pkt(0x50, u16(2)) + pkt(0x62, u16(2)) + pkt(0x70, u16(2))),
    "acks_v5": (V5, pkt(0x40, u16(1) + b"\x10") + pkt(0x50, u16(2) + b"\x00" + props(b"\x1f" + s("ok")))
                + pkt(0x62, u16(2) + b"\x92\x00") + pkt(0x70, u16(2))),
    # SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK.
    "subscribe_v311": (V311, pkt(0x82, u16(10) + s("a/#") + b"\x01" + s("+/b") + b"\x02")),
    "subscribe_v5": (V5, pkt(0x82, u16(11) + props(b"\x0b" + varint(77), b"\x26" + s("u") + s("v"))
                             + s("x/+/y") + b"\x2e" + s("$share/g/z") + b"\x01")),
    "subscribe_empty": (V311, pkt(0x82, u16(1))),
    "suback": (V311, pkt(0x90, u16(10) + b"\x00\x01\x02\x80")),
    "suback_v5": (V5, pkt(0x90, u16(10) + props(b"\x1f" + s("r")) + b"\x00\x87\xa2")),
    "unsubscribe": (V311, pkt(0xA2, u16(12) + s("a/b") + s("#"))),
    "unsubscribe_v5": (V5, pkt(0xA2, u16(12) + props(b"\x26" + s("k") + s("v")) + s("a/+"))),
    "unsuback": (V311, pkt(0xB0, u16(12))),
    "unsuback_v5": (V5, pkt(0xB0, u16(12) + props() + b"\x00\x11")),
    # PING, DISCONNECT, AUTH.
    "ping": (V311, b"\xc0\x00\xd0\x00"),
    "disconnect_v5": (V5, pkt(0xE0, b"\x04" + props(b"\x11" + u32(0), b"\x1c" + s("srv")))),
    "auth_v5": (V5, pkt(0xF0, b"\x18" + props(b"\x15" + s("SCRAM"), b"\x16" + s(b"\x01\x02")))),
    # Streams: several packets, then a split one.
    "stream_v311": (V311, connect(4, 0x02, s("s")) + pkt(0x82, u16(1) + s("t") + b"\x00")
                    + pkt(0x30, s("t") + b"1") + b"\xc0\x00" + pkt(0x30, s("t") + b"22")[:4]),
    "stream_v5": (V5, pkt(0x30, s("a") + props() + b"m") + pkt(0x31, s("b") + props() + b"n")
                  + pkt(0xE0, b"")),
    # Framing edge cases.
    "remaining_length_5_bytes": (V311, b"\x30\x80\x80\x80\x80\x01"),
    "remaining_length_non_minimal": (V311, b"\xc0\x80\x00"),
    "too_large": (V5, b"\x30\xff\xff\xff\x7f"),
    "reserved_type": (V311, b"\x00\x00"),
}


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decoder")
    os.makedirs(out_dir, exist_ok=True)
    for name, (ver, data) in SEEDS.items():
        with open(os.path.join(out_dir, "seed_" + name), "wb") as f:
            f.write(bytes([ver]) + data)
    print(f"wrote {len(SEEDS)} seeds to {out_dir}")


if __name__ == "__main__":
    main()
