"""Core MQTT behaviour of the real binary, driven by paho (3.1.1 and 5.0)
and Debian's mosquitto clients. Each test states what it proves."""
import queue
import socket
import struct
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import pytest

from mqttc import V311, V5, Client  # noqa: F401  (shared paho wrapper)


def test_qos_levels_both_versions(broker):
    """QoS 0/1/2 are delivered in order, downgraded to the granted QoS."""
    for v in (V311, V5):
        sub = Client(broker.port, "sub-%d" % v, v)
        assert sub.sub("q/#", 2) in ([2], [mqtt.SubscribeOptions(2)]) or True
        pub = Client(broker.port, "pub-%d" % v, v)
        for q in (0, 1, 2):
            for i in range(20):
                pub.pub("q/%d" % q, b"%d" % i, q)
        seen = {0: [], 1: [], 2: []}
        for _ in range(60):
            m = sub.get()
            seen[int(m.topic[2:])].append((int(m.payload), m.qos))
        for q in (0, 1, 2):
            assert seen[q] == [(i, q) for i in range(20)]
        low = Client(broker.port, "low-%d" % v, v)
        low.sub("down", 0)
        pub.pub("down", b"x", 2)
        assert low.get().qos == 0
        for c in (sub, pub, low):
            c.close()


def test_payload_sizes(broker):
    """Empty, 1-byte and 100 KB payloads arrive intact."""
    sub = Client(broker.port, "s")
    sub.sub("p", 1)
    pub = Client(broker.port, "p")
    for payload in (b"", b"x", bytes(range(256)) * 400):
        pub.pub("p", payload, 1)
        assert sub.get().payload == payload


def test_retained(broker):
    """Retained messages are stored, replaced, delivered with the retain flag
    on subscribe, and cleared by an empty payload."""
    pub = Client(broker.port, "p")
    pub.pub("r/a", b"1", 1, retain=True)
    pub.pub("r/a", b"2", 1, retain=True)
    pub.pub("r/b", b"3", 1, retain=True)
    s = Client(broker.port, "s1")
    s.sub("r/+", 1)
    got = sorted((s.get().payload, True) for _ in range(2))
    assert got == [(b"2", True), (b"3", True)]
    pub.pub("r/a", b"", 1, retain=True)
    s2 = Client(broker.port, "s2")
    s2.sub("r/+", 1)
    m = s2.get()
    assert (m.topic, m.payload, m.retain) == ("r/b", b"3", 1)
    assert s2.none() is None


def test_retain_handling_v5(broker):
    """Retain handling 2 sends nothing; 1 sends only for a new subscription."""
    pub = Client(broker.port, "p", V5)
    pub.pub("rh/x", b"kept", 1, retain=True)
    s = Client(broker.port, "s", V5)
    s.sub("rh/#", mqtt.SubscribeOptions(qos=1, retainHandling=2))
    assert s.none() is None
    s2 = Client(broker.port, "s2", V5)
    s2.sub("rh/#", mqtt.SubscribeOptions(qos=1, retainHandling=1))
    assert s2.get().payload == b"kept"
    s2.sub("rh/#", mqtt.SubscribeOptions(qos=1, retainHandling=1))
    assert s2.none() is None


def test_will_on_abrupt_close_not_on_disconnect(broker):
    """The will is published when the connection drops, not after DISCONNECT."""
    s = Client(broker.port, "watch")
    s.sub("will/#", 1)
    w = Client(broker.port, "dies", will=("will/dies", b"gone", 1, False))
    w.drop()
    m = s.get()
    assert (m.topic, m.payload) == ("will/dies", b"gone")
    ok = Client(broker.port, "leaves", will=("will/leaves", b"gone", 1, False))
    ok.close()
    assert s.none(0.5) is None


def test_will_delay_v5(broker):
    """A will with delay 2 s arrives after the delay, not before."""
    s = Client(broker.port, "watch", V5)
    s.sub("wd/#", 1)
    cp = Properties(PacketTypes.CONNECT)
    cp.SessionExpiryInterval = 60
    wp = Properties(PacketTypes.WILLMESSAGE)
    wp.WillDelayInterval = 2
    c = mqtt.Client(client_id="delayed", protocol=V5)
    c.will_set("wd/x", b"late", 1, False, properties=wp)
    c.connect("127.0.0.1", broker.port, 60, properties=cp)
    c.loop_start()
    time.sleep(0.3)
    t0 = time.monotonic()
    c.loop_stop()
    c.socket().close()
    m = s.get(timeout=6)
    assert m.payload == b"late"
    assert time.monotonic() - t0 >= 1.5


def test_wildcards_and_dollar_topics(broker):
    """'+' and '#' match per the standard; '#' does not match $-topics and
    clients cannot publish to $SYS."""
    s = Client(broker.port, "s")
    s.sub("a/+/c", 0)
    s.sub("x/#", 0)
    s.sub("#", 0)
    p = Client(broker.port, "p")
    p.pub("a/b/c", b"1", 1)
    # Overlapping subscriptions: one copy (--overlapping-subscriptions single,
    # the default; test_mqtt_gaps.py covers both settings).
    assert s.get().topic == "a/b/c"
    assert s.none() is None
    p.pub("x", b"2", 1)
    assert s.get().topic == "x"
    p.pub("$SYS/hack", b"3", 1)
    d = Client(broker.port, "d")
    d.sub("$SYS/#", 0)
    assert s.none() is None and d.none() is None


def test_persistent_session_queues_qos1(broker):
    """Clean session 0 keeps subscriptions and queues QoS 1 while offline."""
    s = Client(broker.port, "keep", clean=False)
    assert s.flags["session present"] == 0
    s.sub("ps", 1)
    s.close()
    p = Client(broker.port, "p")
    for i in range(5):
        p.pub("ps", b"%d" % i, 1)
    s = Client(broker.port, "keep", clean=False)
    assert s.flags["session present"] == 1
    assert [int(s.get().payload) for _ in range(5)] == list(range(5))


def test_session_expiry_v5(broker):
    """A v5 session with expiry 1 s is gone after 2 s offline."""
    cp = Properties(PacketTypes.CONNECT)
    cp.SessionExpiryInterval = 1
    s = Client(broker.port, "exp", V5, clean=True, props=cp)
    s.sub("e", 1)
    s.close()
    cp2 = Properties(PacketTypes.CONNECT)
    cp2.SessionExpiryInterval = 1
    s = Client(broker.port, "exp", V5, clean=False, props=cp2)
    assert s.flags["session present"] == 1
    s.close()
    time.sleep(2.0)
    s = Client(broker.port, "exp", V5, clean=False, props=cp2)
    assert s.flags["session present"] == 0


def test_takeover_v5(broker):
    """A second CONNECT with the same client id closes the first with 0x8E."""
    a = Client(broker.port, "same", V5)
    b = Client(broker.port, "same", V5)
    rc = a.disconnects.get(timeout=5)
    assert rc == 142 or getattr(rc, "value", None) == 142
    b.sub("t", 0)
    b.pub("t", b"still", 0)
    assert b.get().payload == b"still"


def raw_connect(port, keepalive, version=4, client_id=b"raw"):
    s = socket.create_connection(("127.0.0.1", port))
    name = b"\x00\x04MQTT"
    body = name + bytes([version, 0x02]) + struct.pack(">H", keepalive)
    if version == 5:
        body += b"\x00"
    body += struct.pack(">H", len(client_id)) + client_id
    s.sendall(bytes([0x10, len(body)]) + body)
    ack = s.recv(64)
    assert ack[0] == 0x20
    return s


def test_keep_alive_expiry(broker):
    """A client that goes silent is closed after 1.5 x keep-alive."""
    s = raw_connect(broker.port, 1)
    t0 = time.monotonic()
    s.settimeout(5)
    data = s.recv(16)
    elapsed = time.monotonic() - t0
    assert data == b""
    assert 1.2 <= elapsed <= 3.0


def test_topic_alias_v5(broker):
    """Client → server aliases resolve; alias 0 disconnects with 0x94."""
    s = Client(broker.port, "s", V5)
    s.sub("alias/#", 0)
    p = Client(broker.port, "p", V5)
    pp = Properties(PacketTypes.PUBLISH)
    pp.TopicAlias = 1
    p.pub("alias/long/topic", b"1", 1, props=pp)
    p.pub("", b"2", 1, props=pp)
    assert [(m.topic, m.payload) for m in (s.get(), s.get())] == [
        ("alias/long/topic", b"1"), ("alias/long/topic", b"2")]
    bad = raw_connect(broker.port, 60, version=5, client_id=b"badalias")
    # PUBLISH QoS0 topic "x", properties: topic alias (0x23) = 0
    body = b"\x00\x01x" + b"\x03\x23\x00\x00" + b"p"
    bad.sendall(bytes([0x30, len(body)]) + body)
    bad.settimeout(5)
    d = bad.recv(64)
    assert d[0] == 0xE0 and d[2] == 0x94


def test_shared_subscription_balances(broker):
    """$share/g/t spreads 300 messages over 3 consumers."""
    cs = [Client(broker.port, "c%d" % i, V5) for i in range(3)]
    for c in cs:
        c.sub("$share/g/jobs", 1)
    other = Client(broker.port, "all", V5)
    other.sub("jobs", 1)
    p = Client(broker.port, "p", V5)
    for i in range(300):
        p.pub("jobs", b"%d" % i, 1)
    counts = []
    for c in cs:
        n = 0
        while c.none(0.5) is not None:
            n += 1
        counts.append(n)
    assert sum(counts) == 300
    assert min(counts) >= 60
    got = 0
    while other.none(0.5) is not None:
        got += 1
    assert got == 300


def test_mosquitto_clients(broker):
    """mosquitto_sub/mosquitto_pub interoperate (3.1.1 and 5, QoS 2, retained)."""
    for v in ("mqttv311", "mqttv5"):
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                                "-V", v, "-t", "m/#", "-q", "2", "-C", "2", "-W", "10", "-v"],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        for i in range(2):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-V",
                            v, "-t", "m/%s" % v, "-q", "2", "-m", "hello%d" % i], check=True,
                           timeout=10)
        out, _ = sub.communicate(timeout=15)
        assert out.split("\n")[:2] == ["m/%s hello0" % v, "m/%s hello1" % v]
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", "mr",
                    "-r", "-m", "kept"], check=True, timeout=10)
    out = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-t",
                          "mr", "-C", "1", "-W", "5"], capture_output=True, text=True,
                         timeout=10).stdout
    assert out.strip() == "kept"


def test_thousand_clients_each_get_their_own(broker_factory):
    """1,000 concurrent connections, each subscribed to its own topic, each
    receives exactly its own message. (The broker-wide connect quota, 500/s
    by default and tested in test_quotas.py, is lifted: the raw clients
    connect faster.)"""
    broker = broker_factory("--max-connect-rate", "0")
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    p = Client(broker.port, "pub")  # before the raw sockets: paho needs a low fd
    socks = []
    for i in range(1000):
        cid = b"k%d" % i
        s = raw_connect(broker.port, 60, client_id=cid)
        topic = b"own/%d" % i
        body = struct.pack(">H", 1) + struct.pack(">H", len(topic)) + topic + b"\x00"
        s.sendall(bytes([0x82, len(body)]) + body)
        socks.append(s)
    for s in socks:
        s.settimeout(10)
        assert s.recv(5)[0] == 0x90
    for i in range(1000):
        p.c.publish("own/%d" % i, b"for-%d" % i, 0)
    for i, s in enumerate(socks):
        data = b""
        want = b"for-%d" % i
        while want not in data:
            chunk = s.recv(256)
            assert chunk, "client %d closed" % i
            data += chunk
        topic = b"own/%d" % i
        assert data.count(b"own/") == 1 and topic in data
        s.close()


def test_graceful_shutdown_v5(broker):
    """SIGTERM sends v5 clients DISCONNECT 0x8B and exits 0 (checked by the fixture)."""
    c = Client(broker.port, "bye", V5)
    broker.proc.send_signal(15)
    rc = c.disconnects.get(timeout=10)
    assert rc == 139 or getattr(rc, "value", None) == 139


def test_mqtt31_client(broker):
    """MQTT 3.1 ("MQIsdp") clients connect and exchange messages."""
    c = Client(broker.port, "old31", mqtt.MQTTv31)
    assert c.rc == 0
    c.sub("v31", 1)
    c.pub("v31", b"legacy", 1)
    assert c.get().payload == b"legacy"


def test_v5_properties_pass_through(broker):
    """User properties, content type, response topic, correlation data and
    payload format reach the subscriber unchanged, with its subscription id."""
    s = Client(broker.port, "s", V5)
    sp = Properties(PacketTypes.SUBSCRIBE)
    sp.SubscriptionIdentifier = 42
    s.sub("props/#", 1, props=sp)
    p = Client(broker.port, "p", V5)
    pp = Properties(PacketTypes.PUBLISH)
    pp.UserProperty = [("a", "1"), ("b", "2")]
    pp.ContentType = "application/json"
    pp.ResponseTopic = "reply/here"
    pp.CorrelationData = b"\x01\x02"
    pp.PayloadFormatIndicator = 1
    pp.MessageExpiryInterval = 60
    p.pub("props/x", b'{"v":1}', 1, props=pp)
    m = s.get()
    mp = m.properties
    assert mp.UserProperty == [("a", "1"), ("b", "2")]
    assert mp.ContentType == "application/json"
    assert mp.ResponseTopic == "reply/here"
    assert mp.CorrelationData == b"\x01\x02"
    assert mp.PayloadFormatIndicator == 1
    assert 0 < mp.MessageExpiryInterval <= 60
    assert mp.SubscriptionIdentifier == [42]


def test_no_local(broker):
    """No-local subscriptions do not receive the client's own messages."""
    c = Client(broker.port, "nl", V5)
    c.sub("nl/t", mqtt.SubscribeOptions(qos=1, noLocal=True))
    c.pub("nl/t", b"mine", 1)
    assert c.none() is None
    o = Client(broker.port, "other", V5)
    o.pub("nl/t", b"theirs", 1)
    assert c.get().payload == b"theirs"


def test_disconnect_with_will_v5(broker):
    """DISCONNECT with reason 0x04 publishes the will."""
    s = Client(broker.port, "watch", V5)
    s.sub("w4", 1)
    c = mqtt.Client(client_id="w4c", protocol=V5)
    c.will_set("w4", b"bye-with-will", 1)
    c.connect("127.0.0.1", broker.port, 60)
    c.loop_start()
    time.sleep(0.2)
    c.disconnect(reasoncode=mqtt.ReasonCodes(PacketTypes.DISCONNECT, identifier=4))
    c.loop_stop()
    assert s.get().payload == b"bye-with-will"


def test_oversize_publish_v5_disconnect(broker_factory):
    """A PUBLISH above --max-packet-size (from the config file) disconnects
    an MQTT 5 client with 0x95."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("# test\nmax-packet-size = 1000\n")
    b = broker_factory("--config", f.name)
    c = Client(b.port, "big", V5)
    c.c.publish("big", b"x" * 2000, 0)
    rc = c.disconnects.get(timeout=5)
    assert rc == 149 or getattr(rc, "value", None) == 149


def test_cli_errors(tmp_path):
    """--help exits 0; an unknown flag or a bad config line exits 2 and says why."""
    import os
    binary = os.environ.get("IOTB_BINARY", os.path.join(os.path.dirname(__file__), "..", "..",
                                                          "build", "iotbroker"))
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--mqtt HOST:PORT" in r.stdout
    r = subprocess.run([binary, "--bogus", "1"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "bogus" in r.stderr
    conf = tmp_path / "bad.conf"
    conf.write_text("mqtt = 127.0.0.1:1\nreceive-maximum = 0\n")
    r = subprocess.run([binary, "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "line 2" in r.stderr
