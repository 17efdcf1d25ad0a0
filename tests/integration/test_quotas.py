"""SPEC §6 quotas against the real broker: each test exceeds one quota and
checks the documented behaviour (drop and count, refusal code, pause)."""
import time

import pytest

from conftest import cli
from devices import device_credentials
from mqttc import Client, V311, V5
from rawmqtt import connect_v5, publish_v5, read_pubacks


def make_fleet(broker):
    d = broker.data_dir
    _, p, _ = cli(d, "product", "create", "--name", "quota_1", "--category", "telemetry=pub")
    _, dev, _ = cli(d, "device", "create", "--product", p["productKey"], "--name", "q-0001")
    _, app, _ = cli(d, "app", "create", "--product", p["productKey"], "--name", "backend")
    return p["productKey"], dev, app


def device(broker, pk, dev, version=V311, **kw):
    cid, user, pw = device_credentials(pk, dev["deviceName"], dev["deviceSecret"])
    return Client(broker.port, cid, version, username=user, password=pw, **kw)


def device_log(broker, pk, dn):
    _, log, _ = cli(broker.data_dir, "device", "log", "--product", pk, "--name", dn)
    return log


def received(client, quiet=1.0):
    out = []
    while True:
        try:
            out.append(client.msgs.get(timeout=quiet))
        except Exception:
            return out


def test_device_uplink_over_30_per_second_is_dropped_and_counted(broker):
    pk, dev, app = make_fleet(broker)
    a = Client(broker.port, "backend-1", username=app["accessKeyId"],
               password=app["accessKeySecret"])
    a.sub("/%s/+/user/#" % pk, 0)
    d = device(broker, pk, dev)
    topic = "/%s/%s/user/telemetry" % (pk, dev["deviceName"])
    start = time.monotonic()
    for i in range(100):
        d.c.publish(topic, str(i), 0)
    elapsed = time.monotonic() - start
    got = received(a)
    # Burst of 30, plus 30/s for the time the 100 took.
    assert elapsed < 0.5
    assert 30 <= len(got) <= 30 + int(30 * elapsed) + 2, (len(got), elapsed)
    text = broker.log_text()
    assert "uplink throttled" in text
    log = device_log(broker, pk, dev["deviceName"])
    assert any(e["kind"] == "throttled" and "uplink throttled" in e["text"] for e in log), log


def test_v5_qos1_over_quota_gets_puback_0x96(broker):
    pk, dev, _ = make_fleet(broker)
    topic = "/%s/%s/user/telemetry" % (pk, dev["deviceName"])
    # paho 1.6 does not expose the PUBACK reason: speak MQTT 5 directly.
    cid, user, pw = device_credentials(pk, dev["deviceName"], dev["deviceSecret"])
    s = connect_v5(broker.port, cid, user, pw)
    for i in range(40):
        s.sendall(publish_v5(topic, b"x", 1, i + 1))
    codes = [c for _, c in read_pubacks(s, 40)]
    assert codes.count(0x00) + codes.count(0x10) >= 30  # success / no subscribers
    assert codes.count(0x96) >= 5, codes
    s.close()


def test_sixth_connect_in_a_minute_is_refused_with_code_5(broker):
    pk, dev, _ = make_fleet(broker)
    for i in range(5):
        c = device(broker, pk, dev)
        assert c.rc == 0, i
        c.c.disconnect()
        time.sleep(0.05)
    c = device(broker, pk, dev)
    assert c.rc == 5
    c5 = device(broker, pk, dev, version=V5)
    assert (c5.rc if isinstance(c5.rc, int) else c5.rc.value) == 0x9F
    log = device_log(broker, pk, dev["deviceName"])
    assert any(e["kind"] == "throttled" and "connect refused" in e["text"] for e in log), log


def test_broker_connect_rate_refuses_with_code_3(broker_factory):
    b = broker_factory("--max-connect-rate", "5")
    codes = []
    for i in range(12):
        c = Client(b.port, "c%d" % i)
        codes.append(c.rc)
    assert codes.count(0) >= 5
    assert codes.count(3) >= 4, codes
    assert "CONNECTs per second" in b.log_text()


def test_publish_over_256_kib_is_refused(broker):
    c = Client(broker.port, "big", version=V5)
    c.c.publish("t", b"x" * (257 * 1024), 0)
    rc = c.disconnects.get(timeout=10)
    assert (rc if isinstance(rc, int) else rc.value) == 0x95
    ok = Client(broker.port, "fine")
    assert ok.rc == 0  # the broker keeps serving


def test_connection_bandwidth_pauses_reading_and_loses_nothing(broker_factory):
    b = broker_factory("--max-connection-bandwidth", "800000")  # 100 KB/s
    sub = Client(b.port, "bw-sub")
    sub.sub("bw/#", 1)
    pub = Client(b.port, "bw-pub")
    payload = b"y" * 10_000
    start = time.monotonic()
    infos = [pub.c.publish("bw/t", payload, 1) for _ in range(40)]  # 400 KB
    for i in infos:
        i.wait_for_publish(30)
    elapsed = time.monotonic() - start
    got = received(sub, quiet=1.0)
    assert len(got) == 40
    # 100 KB of burst, then 100 KB/s: about 3 s for the rest.
    assert elapsed >= 2.0, elapsed
    assert elapsed < 15, elapsed
