"""MQTT standards gaps found by third-party conformance suites, each
checked through the real binary:

- overlapping subscriptions of one client: one copy at the highest granted
  QoS carrying every matching Subscription Identifier (MQTT 5 §3.3.4), or
  one copy per subscription with `--overlapping-subscriptions multiple`;
- Receive Maximum exceeded by an MQTT 5 client: DISCONNECT 0x93;
- after a device takeover, the device log names the new client id."""
import time

import pytest

from conftest import cli
from devices import device_credentials
from mqttc import V311, Client
from raw5 import Raw


def test_overlapping_subscriptions_v5_one_copy_with_every_id(broker):
    c = Raw(broker.port, "ov5")
    c.subscribe("a/+", 1, sub_id=1)
    c.subscribe("a/#", 2, sub_id=2)
    c.subscribe("a/b", 0)  # no identifier
    c.subscribe("x/#", 1, sub_id=3)  # does not match
    c.publish("a/b", b"hello", 2)
    [(topic, payload, qos, dup, pid, ids)] = c.publishes(1, props=True)
    assert (topic, payload, qos) == ("a/b", b"hello", 2)
    assert sorted(ids) == [1, 2]
    assert c.nothing()
    c.disconnect()


def test_overlapping_subscriptions_multiple_keeps_one_copy_each(broker_factory):
    b = broker_factory("--overlapping-subscriptions", "multiple")
    c = Raw(b.port, "ovm")
    c.subscribe("a/+", 1, sub_id=1)
    c.subscribe("a/#", 2, sub_id=2)
    c.publish("a/b", b"hello", 2)
    got = c.publishes(2, props=True)
    assert sorted((q, tuple(ids)) for _, _, q, _, _, ids in got) == [(1, (1,)), (2, (2,))]
    c.disconnect()


def test_overlapping_subscriptions_v311_one_copy_at_max_qos(broker):
    """What Mosquitto does for MQTT 3.1.1 clients, too."""
    c = Client(broker.port, "ov311", V311)
    c.sub("t/+", 0)
    c.sub("t/#", 1)
    c.sub("#", 0)
    pub = Client(broker.port, "ov311-pub", V311)
    pub.pub("t/x", "one", qos=1)
    m = c.get()
    assert (m.topic, m.payload, m.qos) == ("t/x", b"one", 1)
    assert c.none() is None


def test_overlapping_no_local_applies_per_subscription(broker):
    """no_local drops only the subscription that asked for it."""
    c = Raw(broker.port, "ovnl")
    c.subscribe("n/+", 1, sub_id=5, no_local=True)
    c.subscribe("n/#", 1, sub_id=6)
    c.publish("n/1", b"own", 1)
    [(_, payload, _, _, _, ids)] = c.publishes(1, props=True)
    assert (payload, ids) == (b"own", [6])
    assert c.nothing()
    c.disconnect()


@pytest.mark.parametrize("persistence", [True, False], ids=["durable", "memory"])
def test_overlapping_offline_queue_keeps_every_id(broker_factory, persistence):
    """A persistent session queues one copy with all identifiers (through
    the store when persistence is on)."""
    b = broker_factory(*(() if persistence else ("--persistence", "false")))
    c = Raw(b.port, "ovq", expiry=600)
    c.subscribe("q/+", 1, sub_id=7)
    c.subscribe("q/#", 1, sub_id=8)
    c.disconnect()
    p = Raw(b.port, "ovq-pub")
    p.publish("q/1", b"queued", 1)
    p.read()  # PUBACK: stored
    p.disconnect()
    c = Raw(b.port, "ovq", clean=False, expiry=600)
    assert c.session_present
    [(_, payload, q, _, pid, ids)] = c.publishes(1, props=True)
    assert (payload, q, sorted(ids)) == (b"queued", 1, [7, 8])
    c.ack(q, pid)
    assert c.nothing()
    c.disconnect()


def expect_disconnect_0x93(c):
    while True:
        p = c.read()
        assert p is not None, "closed without DISCONNECT 0x93"
        if p[0] >> 4 == 14:
            assert p[1][0] == 0x93, p
            break
    assert c.read() is None  # and the connection is closed


def test_v5_receive_maximum_exceeded_by_qos2_is_disconnect_0x93(broker_factory):
    b = broker_factory("--receive-maximum", "3")
    c = Raw(b.port, "rm5")
    for _ in range(3):
        c.publish("r/x", b"q2", 2)  # PUBREC comes, PUBREL never sent
    c.sync()
    c.publish("r/x", b"q2", 2)
    expect_disconnect_0x93(c)
    assert b.alive()


def test_v5_qos1_waiting_for_the_store_counts_against_receive_maximum(broker_factory):
    """A QoS 1 PUBLISH for a persistent subscriber is acknowledged once
    stored; until then it counts. Two QoS 1 in one write: the second
    arrives while the first waits for the store (same read)."""
    b = broker_factory("--receive-maximum", "4")
    sub = Raw(b.port, "rm-sub", expiry=600)
    sub.subscribe("r/#", 1)
    c = Raw(b.port, "rm5q1")
    for _ in range(3):
        c.publish("r/x", b"q2", 2)  # PUBREC comes, PUBREL never sent
    c.sync()
    c.s.sendall(c.publish_packet("r/y", b"a", 1)[1] + c.publish_packet("r/y", b"b", 1)[1])
    expect_disconnect_0x93(c)
    sub.disconnect()


def test_v311_client_is_not_disconnected_for_qos1(broker_factory):
    """3.1.1 has no Receive Maximum: QoS 1 beyond it is acknowledged."""
    b = broker_factory("--receive-maximum", "3")
    c = Raw(b.port, "rm311", version=4)
    for _ in range(10):
        c.publish("r/x", b"q1", 1)
    c.sync()
    assert sum(1 for p in c.other if p[0] >> 4 == 4) == 10
    c.disconnect()


def test_takeover_device_log_names_the_new_client_id(broker_factory):
    broker = broker_factory("--device-connect-rate", "1000")
    d = broker.data_dir
    _, p, _ = cli(d, "product", "create", "--name", "gaps_1")
    pk = p["productKey"]
    _, dev, _ = cli(d, "device", "create", "--product", pk, "--name", "dev-0001")

    def connect(client_id):
        cid, user, pw = device_credentials(pk, dev["deviceName"], dev["deviceSecret"],
                                           client_id=client_id)
        return Client(broker.port, cid, V311, username=user, password=pw)

    first = connect("sn-old")
    assert first.rc == 0
    second = connect("sn-new")
    assert second.rc == 0
    texts = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the device log is written by a writer thread
        _, log, _ = cli(d, "device", "log", "--product", pk, "--name", "dev-0001")
        texts = [e["text"] for e in log]
        if any("taken over" in t for t in texts) and len(texts) >= 3:
            break
        time.sleep(0.1)
    takeover = [t for t in texts if "taken over" in t]
    assert len(takeover) == 1, texts
    assert "(client=sn-old) taken over" in takeover[0], texts
    assert takeover[0].endswith("(client=sn-new)"), texts
    connects = [t for t in texts if t.startswith("connected")]
    assert any("client=sn-new " in t for t in connects), texts
    assert "client=sn-new took the session over" in broker.log_text()
