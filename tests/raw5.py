"""A raw MQTT client (3.1.1 or 5) for tests that must control every
packet: it acknowledges nothing by itself (paho does), exposes the CONNACK
and SUBACK codes and the Subscription Identifiers of a PUBLISH."""
import socket
import struct
import time

from rawmqtt import packet, string, varint


def read_varint(b):
    """(value, bytes used) of an MQTT variable byte integer at the start of b."""
    n, mult, i = 0, 1, 0
    while True:
        n += (b[i] & 0x7F) * mult
        mult *= 128
        i += 1
        if not b[i - 1] & 0x80:
            return n, i


# Fixed sizes of the PUBLISH properties a broker may send (MQTT 5 §2.2.2.2);
# None: a length-prefixed string or binary; 0: a variable byte integer.
_PROP_SIZES = {0x01: 1, 0x02: 4, 0x03: None, 0x08: None, 0x09: None, 0x0B: 0, 0x23: 2,
               0x26: None}


def subscription_ids(props):
    """The Subscription Identifier properties in a PUBLISH property block."""
    ids, i = [], 0
    while i < len(props):
        pid = props[i]
        i += 1
        size = _PROP_SIZES[pid]
        if pid == 0x26:  # user property: two strings
            for _ in range(2):
                i += 2 + struct.unpack("!H", props[i:i + 2])[0]
        elif size is None:
            i += 2 + struct.unpack("!H", props[i:i + 2])[0]
        elif size == 0:
            v, used = read_varint(props[i:])
            ids.append(v)
            i += used
        else:
            i += size
    return ids


class Raw:
    """A raw MQTT 5 client: sends what it is told, acknowledges nothing by
    itself, and hands back the packets the broker sent."""

    def __init__(self, port, client_id, clean=True, expiry=0, version=5, user=None,
                 password=None, expect=0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.version = version
        self.other = []
        props = b""
        if expiry:
            props = b"\x11" + struct.pack("!I", expiry)
        flags = (0x02 if clean else 0x00) | (0xC0 if user is not None else 0)
        vh = string("MQTT") + bytes([version, flags]) + struct.pack("!H", 60)
        if version == 5:
            vh += varint(len(props)) + props
        body = vh + string(client_id)
        if user is not None:
            body += string(user) + string(password or "")
        self.s.sendall(packet(0x10, body))
        t, body = self.read()
        assert t >> 4 == 2 and body[1] == expect, (t, body)
        self.session_present = bool(body[0] & 1)
        self.next_id = 1

    def read(self, timeout=10):
        """The next packet: (first byte, body); None when the socket closed."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                n, mult, i = 0, 1, 1
                while i < len(self.buf) and i < 5:
                    b = self.buf[i]
                    n += (b & 0x7F) * mult
                    mult *= 128
                    i += 1
                    if not b & 0x80:
                        if len(self.buf) >= i + n:
                            first, body = self.buf[0], self.buf[i:i + n]
                            self.buf = self.buf[i + n:]
                            return first, body
                        break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no packet from the broker")
            self.s.settimeout(left)
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def pid(self):
        self.next_id += 1
        return self.next_id - 1

    def subscribe(self, flt, qos, sub_id=0, no_local=False, expect=None):
        """SUBSCRIBE one filter; checks the SUBACK code (default: `qos`)."""
        pid = self.pid()
        props = b""
        if sub_id:
            props = b"\x0b" + varint(sub_id)
        body = struct.pack("!H", pid)
        if self.version == 5:
            body += varint(len(props)) + props
        body += string(flt) + bytes([qos | (0x04 if no_local else 0)])
        self.s.sendall(packet(0x82, body))
        while True:
            t, body = self.read()
            if t >> 4 == 9:
                break
            self.other.append((t, body))
        want = qos if expect is None else expect
        assert body[-1] == want, (t, body)

    def publish(self, topic, payload, qos):
        """Sends a PUBLISH; returns its packet id."""
        pid, data = self.publish_packet(topic, payload, qos)
        self.s.sendall(data)
        return pid

    def publish_packet(self, topic, payload, qos):
        """(packet id, bytes) of a PUBLISH, for sending several in one write."""
        pid = self.pid() if qos else 0
        body = string(topic) + (struct.pack("!H", pid) if qos else b"")
        if self.version == 5:
            body += b"\x00"
        return pid, packet(0x30 | (qos << 1), body + payload)

    def publishes(self, n, timeout=10, props=False):
        """Reads until `n` PUBLISHes came (other packets are kept aside in
        `other`): [(topic, payload, qos, dup, packet id)], with the list of
        subscription identifiers appended when `props`."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            p = self.read(max(0.01, deadline - time.monotonic()))
            assert p is not None, "connection closed after %r" % got
            first, body = p
            if first >> 4 != 3:
                self.other.append(p)
                continue
            tl = struct.unpack("!H", body[:2])[0]
            topic = body[2:2 + tl].decode()
            qos = (first >> 1) & 3
            rest = body[2 + tl:]
            pid = 0
            if qos:
                pid, rest = struct.unpack("!H", rest[:2])[0], rest[2:]
            sub_ids = []
            if self.version == 5:
                plen, used = read_varint(rest)
                sub_ids = subscription_ids(rest[used:used + plen])
                rest = rest[used + plen:]
            item = (topic, rest, qos, bool(first & 0x08), pid)
            got.append(item + (sub_ids,) if props else item)
        return got

    def nothing(self, wait=0.5):
        """True if no PUBLISH arrives within `wait` seconds."""
        try:
            p = self.read(wait)
        except (TimeoutError, socket.timeout):
            return True
        return p is None or p[0] >> 4 != 3

    def ack(self, qos, pid):
        if qos == 1:
            self.s.sendall(packet(0x40, struct.pack("!H", pid)))
        else:
            self.s.sendall(packet(0x50, struct.pack("!H", pid)))

    def sync(self):
        """PINGREQ → PINGRESP: the broker has handled everything sent before
        (packets that came meanwhile go to `other`)."""
        self.s.sendall(b"\xc0\x00")
        while True:
            p = self.read()
            assert p is not None, "connection closed"
            if p[0] == 0xD0:
                return
            self.other.append(p)

    def disconnect(self):
        """DISCONNECT, then wait until the broker closed the socket: it has
        then handled everything sent before (a new CONNECT sent earlier
        could overtake the old connection's last packets)."""
        self.s.sendall(b"\xe0\x00")
        while self.read() is not None:
            pass
        self.s.close()

    def close(self):
        self.s.close()
