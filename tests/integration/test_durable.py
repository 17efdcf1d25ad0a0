"""Durable QoS 1 and persistent sessions (issue 4, SPEC §7): acknowledged
messages survive `kill -9`, sessions and retained messages survive restarts,
large offline queues are delivered after a restart with bounded memory.

Each crash test runs a real broker on a data directory, kills it with
SIGKILL while a paho QoS 1 publisher streams, restarts it on the same data
directory, and checks that every message the publisher got a PUBACK for
reaches the persistent subscriber."""
import selectors
import signal
import socket
import struct
import threading
import time

import pytest

import mqttc
from conftest import Broker
from rawmqtt import connect_v311, connect_v5, packet, publish_v5, read_pubacks, string

V311, V5 = mqttc.V311, mqttc.V5


class Node:
    """A broker on a fixed data directory that can be killed and restarted."""

    def __init__(self, tmp_path, *args):
        self.tmp = tmp_path
        self.args = args
        self.runs = 0
        self.b = None
        self.start()

    def start(self):
        self.b = Broker(self.tmp / ("run%d" % self.runs), self.args)
        self.data_dir = self.b.data_dir
        self.runs += 1
        return self.b

    def restart_on_same_data(self):
        self.b = Broker(self.tmp / ("run%d" % self.runs),
                        ("--data-dir", self.data_dir, *self.args))
        self.runs += 1
        return self.b

    @property
    def port(self):
        return self.b.port

    def kill9(self):
        self.b.proc.send_signal(signal.SIGKILL)
        self.b.proc.wait()
        self.b.log.close()


@pytest.fixture
def node(tmp_path):
    nodes = []

    def make(*args):
        n = Node(tmp_path / ("n%d" % len(nodes)), *args)
        nodes.append(n)
        return n

    yield make
    for n in nodes:
        if n.b.alive():
            code = n.b.stop()
            text = n.b.log_text()
            assert "ERROR: AddressSanitizer" not in text, text[-4000:]
            assert "runtime error:" not in text, text[-4000:]
            assert code == 0, text[-3000:]


class Streamer(threading.Thread):
    """Publishes QoS 1 messages "n" (n = 0, 1, ...) on `topic` as fast as the
    broker acknowledges them (paho keeps at most 100 in flight); `acked`
    tells which ones got a PUBACK."""

    def __init__(self, port, topic, client_id="pub"):
        super().__init__(daemon=True)
        self.infos = []
        self.stop = threading.Event()
        self.c = mqttc.Client(port, client_id=client_id)
        self.c.c.max_inflight_messages_set(100)
        self.topic = topic

    @property
    def sent(self):
        return len(self.infos)

    @property
    def acked(self):
        # is_published() turns true when the PUBACK arrived.
        return {n for n, info in enumerate(list(self.infos)) if info.is_published()}

    def run(self):
        n = 0
        while not self.stop.is_set():
            info = self.c.c.publish(self.topic, str(n), 1)
            if info.rc != 0:
                break  # the connection is gone
            self.infos.append(info)
            n += 1
            if n % 100 == 0:
                # Stay at most ~300 ahead of the acknowledgements.
                while not self.stop.is_set() and not self.infos[n - 300].is_published() \
                        if n >= 300 else False:
                    time.sleep(0.001)


def drain(client, quiet=2.0, limit=60.0):
    """Payloads received until nothing arrived for `quiet` seconds."""
    got = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            m = client.msgs.get(timeout=quiet)
        except Exception:
            break
        got.append(m.payload.decode())
    return got


def persistent_subscriber(port, topic, client_id="sub", version=V311):
    kw = {"clean": False}
    if version == V5:
        from paho.mqtt.properties import Properties
        from paho.mqtt.packettypes import PacketTypes
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        kw["props"] = props
    c = mqttc.Client(port, client_id=client_id, version=version, **kw)
    return c


@pytest.mark.parametrize("durability", ["sync", "batch"])
def test_acknowledged_qos1_survives_kill9_subscriber_offline(node, durability):
    # batch: commits reach the OS at once and the disk every 100 ms, so a
    # broker crash (not a machine crash) loses nothing either.
    n = node("--durability", durability)
    s = persistent_subscriber(n.port, "d/#")
    assert s.sub("d/#", 1) == (1,)
    s.c.disconnect()
    time.sleep(0.2)
    p = Streamer(n.port, "d/x")
    p.start()
    deadline = time.monotonic() + 20
    while len(p.acked) < 1500 and time.monotonic() < deadline:
        time.sleep(0.05)
    n.kill9()  # mid-stream
    p.stop.set()
    p.join(5)
    acked = set(p.acked)
    assert len(acked) >= 1500, "publisher got only %d PUBACKs" % len(acked)
    n.restart_on_same_data()
    s2 = persistent_subscriber(n.port, "d/#")
    assert s2.flags["session present"] == 1
    got = drain(s2)
    missing = sorted(acked - set(int(x) for x in got))
    assert not missing, "%d acknowledged messages lost, e.g. %s" % (len(missing), missing[:10])
    # In publish order (one publisher, one subscriber, QoS 1).
    nums = [int(x) for x in got]
    firsts = []
    seen = set()
    for x in nums:
        if x not in seen:
            seen.add(x)
            firsts.append(x)
    assert firsts == sorted(firsts)


def test_acknowledged_qos1_survives_kill9_subscriber_online(node):
    n = node()
    s = persistent_subscriber(n.port, "o/#", client_id="sub-online", version=V5)
    s.sub("o/#", 1)
    p = Streamer(n.port, "o/x", client_id="pub-online")
    p.start()
    deadline = time.monotonic() + 20
    while len(p.acked) < 1000 and time.monotonic() < deadline:
        time.sleep(0.05)
    n.kill9()
    p.stop.set()
    p.join(5)
    acked = set(p.acked)
    before = set(int(x) for x in drain(s, quiet=0.5, limit=5))
    n.restart_on_same_data()
    s2 = persistent_subscriber(n.port, "o/#", client_id="sub-online", version=V5)
    after = set(int(x) for x in drain(s2))
    missing = sorted(acked - before - after)
    assert not missing, "%d acknowledged messages lost, e.g. %s" % (len(missing), missing[:10])


def test_five_kill_restart_cycles_lose_nothing(node):
    n = node()
    s = persistent_subscriber(n.port, "c/#", client_id="sub-cycles")
    assert s.sub("c/#", 1) == (1,)
    s.c.disconnect()
    acked_all = set()
    offset = 0
    for cycle in range(5):
        p = Streamer(n.port, "c/x", client_id="pub-cycles")
        p.start()
        time.sleep(0.6)
        n.kill9()
        p.stop.set()
        p.join(5)
        # Payloads restart at 0 each cycle: tag them with the cycle.
        acked_all |= {(cycle, x) for x in p.acked}
        offset += p.sent
        n.restart_on_same_data()
        # Make the payloads distinct per cycle by reading them now.
        s2 = persistent_subscriber(n.port, "c/#", client_id="sub-cycles")
        got = set(int(x) for x in drain(s2, quiet=1.5))
        missing = sorted(x for (c, x) in acked_all if c == cycle and x not in got)
        assert not missing, "cycle %d: %d lost, e.g. %s" % (cycle, len(missing), missing[:10])
        s2.c.disconnect()
        time.sleep(0.2)
    assert len(acked_all) > 100


def test_sessions_subscriptions_and_retained_survive_a_clean_restart(node):
    n = node()
    s = persistent_subscriber(n.port, "r/#", client_id="sub-r")
    assert s.sub("r/#", 1) == (1,)
    s.c.disconnect()
    p = mqttc.Client(n.port, client_id="pub-r")
    p.pub("r/kept", "retained-1", qos=1, retain=True)
    p.pub("r/q", "queued-1", qos=1)
    assert n.b.stop() == 0  # SIGTERM: graceful
    assert "stopped" in n.b.log_text()
    n.restart_on_same_data()
    assert "1 persistent sessions, 2 queued messages, 1 retained" in n.b.log_text()
    s2 = persistent_subscriber(n.port, "r/#", client_id="sub-r")
    assert s2.flags["session present"] == 1
    got = sorted(drain(s2, quiet=1.0))
    assert got == ["queued-1", "retained-1"]
    # The retained message is there for a new subscriber too.
    fresh = mqttc.Client(n.port, client_id="fresh")
    fresh.sub("r/kept", 0)
    assert drain(fresh, quiet=0.5) == ["retained-1"]


def test_clean_session_leaves_nothing_behind(node):
    n = node()
    s = persistent_subscriber(n.port, "x/#", client_id="sub-x")
    s.sub("x/#", 1)
    s.c.disconnect()
    time.sleep(0.2)
    # Reconnecting with a clean session ends the stored one.
    c = mqttc.Client(n.port, client_id="sub-x", clean=True)
    c.c.disconnect()
    time.sleep(0.3)
    assert n.b.stop() == 0
    n.restart_on_same_data()
    assert "0 persistent sessions, 0 queued messages" in n.b.log_text()


def test_v5_session_expiry_is_honoured_across_restart(node):
    from paho.mqtt.properties import Properties
    from paho.mqtt.packettypes import PacketTypes
    n = node()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 2
    s = mqttc.Client(n.port, client_id="short", version=V5, clean=False, props=props)
    s.sub("e/#", 1)
    s.c.disconnect()
    time.sleep(0.2)
    assert n.b.stop() == 0
    time.sleep(2.5)
    n.restart_on_same_data()
    assert "0 persistent sessions" in n.b.log_text()
    assert "removed 1 expired sessions" in n.b.log_text()


# -- many offline sessions ----------------------------------------------------

class RawSessions:
    """Many raw MQTT 3.1.1 connections in one thread: they connect with
    clean session 0, optionally subscribe, and acknowledge QoS 1 PUBLISHes;
    `received[i]` counts what connection i got."""

    def __init__(self, port, count, prefix):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        self.buf = {}
        self.received = [0] * count
        self.connacks = 0
        self.subacks = 0
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.setblocking(False)
            s.sendall(connect_v311("%s-%d" % (prefix, i), False))
            self.socks.append(s)
            self.buf[s] = bytearray()
            self.sel.register(s, selectors.EVENT_READ, i)

    def subscribe_all(self, topic):
        for s in self.socks:
            s.setblocking(True)
            s.sendall(packet(0x82, struct.pack("!H", 1) + string(topic) + bytes([1])))
            s.setblocking(False)

    def pump(self, until, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until():
            for key, _ in self.sel.select(0.2):
                s, i = key.fileobj, key.data
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                if not data:
                    self.sel.unregister(s)
                    continue
                b = self.buf[s]
                b += data
                acks = bytearray()
                while len(b) >= 2:
                    mult, n, pos = 1, 0, 1
                    while True:
                        if pos >= len(b):
                            n = None
                            break
                        d = b[pos]
                        n += (d & 0x7F) * mult
                        mult *= 128
                        pos += 1
                        if not d & 0x80:
                            break
                    if n is None or len(b) < pos + n:
                        break
                    t = b[0] >> 4
                    body = bytes(b[pos:pos + n])
                    del b[:pos + n]
                    if t == 2:
                        self.connacks += 1
                    elif t == 9:
                        self.subacks += 1
                    elif t == 3:
                        tl = struct.unpack("!H", body[:2])[0]
                        pid = struct.unpack("!H", body[2 + tl:4 + tl])[0]
                        acks += packet(0x40, struct.pack("!H", pid))
                        self.received[i] += 1
                if acks:
                    s.setblocking(True)
                    s.sendall(bytes(acks))
                    s.setblocking(False)

    def close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def test_100k_queued_messages_for_1000_offline_sessions_survive_restart(node):
    sessions, messages = 1000, 100
    n = node("--max-queued-messages", "1000", "--max-connect-rate", "0")
    raw = RawSessions(n.port, sessions, "bulk")
    raw.pump(lambda: raw.connacks == sessions, 30)
    assert raw.connacks == sessions
    raw.subscribe_all("bulk/#")
    raw.pump(lambda: raw.subacks == sessions, 30)
    assert raw.subacks == sessions
    raw.close()  # all 1,000 sessions offline
    time.sleep(0.5)
    p = mqttc.Client(n.port, client_id="bulk-pub")
    for k in range(messages):
        p.pub("bulk/t", "m%03d" % k, qos=1)  # each PUBACK: 1,000 entries on disk
    p.c.disconnect()
    assert n.b.stop() == 0
    n.restart_on_same_data()
    text = n.b.log_text()
    assert "%d persistent sessions, %d queued messages" % (sessions + 0, sessions * messages) \
        in text, text[-2000:]
    rss_idle = n.b.rss_kib()
    raw2 = RawSessions(n.port, sessions, "bulk")
    total = sessions * messages
    raw2.pump(lambda: sum(raw2.received) >= total, 120)
    rss_after = n.b.rss_kib()
    raw2.close()
    assert sum(raw2.received) == total, "delivered %d of %d" % (sum(raw2.received), total)
    assert min(raw2.received) == messages
    # Offline sessions hold nothing in memory: the 100k messages were read
    # from disk on reconnect, at most --max-queued-messages per session.
    print("RSS after restart %d KiB, after delivering %d messages %d KiB" %
          (rss_idle, total, rss_after))
    assert rss_idle < 400 * 1024


def test_full_store_refuses_qos1_with_0x97_and_keeps_serving_qos0(node):
    n = node("--store-max-size", "2")  # MiB: the whole store
    s = persistent_subscriber(n.port, "full/#", client_id="sub-full")
    assert s.sub("full/#", 1) == (1,)
    s.c.disconnect()
    time.sleep(0.2)
    raw = connect_v5(n.port, "pub-full")
    payload = b"z" * 60_000
    codes = []
    for i in range(60):  # 3.6 MB for a 2 MiB store
        raw.sendall(publish_v5("full/t", payload, 1, i + 1))
        codes += [c for _, c in read_pubacks(raw, 1)]
    raw.close()
    assert 0x97 in codes, codes
    accepted = [i for i, c in enumerate(codes) if c == 0]
    assert len(accepted) >= 10, codes
    assert "store" in n.b.log_text() and "full" in n.b.log_text()
    # QoS 0 still flows.
    a = mqttc.Client(n.port, client_id="q0-sub")
    a.sub("q0/#", 0)
    b = mqttc.Client(n.port, client_id="q0-pub")
    b.pub("q0/x", "still here", qos=0)
    assert drain(a, quiet=1.0) == ["still here"]
    # Everything acknowledged is delivered.
    s2 = persistent_subscriber(n.port, "full/#", client_id="sub-full")
    got = drain(s2, quiet=1.5)
    assert len(got) >= len(accepted), (len(got), len(accepted))


def test_persistence_off_keeps_sessions_in_memory_only(node):
    n = node("--persistence", "off")
    assert "persistence off" in n.b.log_text()
    s = persistent_subscriber(n.port, "m/#", client_id="sub-mem")
    assert s.sub("m/#", 1) == (1,)
    s.c.disconnect()
    p = mqttc.Client(n.port, client_id="pub-mem")
    p.pub("m/x", "queued in memory", qos=1)
    s2 = persistent_subscriber(n.port, "m/#", client_id="sub-mem")
    assert drain(s2, quiet=1.0) == ["queued in memory"]
    s2.c.disconnect()
    assert n.b.stop() == 0
    n.restart_on_same_data()
    s3 = persistent_subscriber(n.port, "m/#", client_id="sub-mem")
    assert s3.flags["session present"] == 0  # nothing was stored
