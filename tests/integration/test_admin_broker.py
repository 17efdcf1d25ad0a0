"""The admin API endpoints that reach into the running broker (SPEC §12):
/metrics moving with real traffic, POST /api/v1/publish (QoS 0/1, base64,
retained) with the per-device downlink quota (429 throttled, QoS 1 to a
persistent offline device never lost), broadcasts (64 KB, one per product
per minute) and the retained-message list and delete."""
import base64
import time
import urllib.request

import pytest

from adminapi import admin_api
from conftest import cli
from devices import device_credentials
from mqttc import V311, V5, Client


@pytest.fixture
def api(broker):
    return admin_api(broker)


def scrape(broker):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % broker.admin_port,
                                timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return text, values


def test_metrics_move_with_traffic(broker):
    text, before = scrape(broker)
    assert "# TYPE iotbroker_messages_received_total counter" in text
    assert before['iotbroker_connections{listener="mqtt"}'] == 0
    sub = Client(broker.port, "m-sub", V311)
    sub.sub("m/#", 1)
    pub = Client(broker.port, "m-pub", V311)
    for i in range(20):
        pub.pub("m/%d" % i, b"x" * 100, 1)
    for _ in range(20):
        sub.get()
    pub.pub("nobody/listens", b"x", 0)
    ws = Client(broker.ws_port, "m-ws", V5, transport="websockets")
    time.sleep(0.2)
    _, after = scrape(broker)
    assert after["iotbroker_messages_received_total"] - before[
        "iotbroker_messages_received_total"] >= 21
    assert after["iotbroker_messages_sent_total"] >= 20
    assert after["iotbroker_messages_delivered_total"] >= 20
    assert after['iotbroker_packets_received_total{type="puback"}'] >= 20
    assert after['iotbroker_packets_received_total{type="subscribe"}'] >= 1
    assert after['iotbroker_messages_dropped_total{reason="no_subscribers"}'] >= 1
    assert after['iotbroker_connections{listener="mqtt"}'] == 2
    assert after['iotbroker_connections{listener="ws"}'] == 1
    assert after['iotbroker_bytes_received_total{listener="mqtt"}'] > 2000
    assert after["iotbroker_sessions"] >= 3
    assert after["iotbroker_subscriptions"] >= 1
    assert after["iotbroker_store_commit_seconds_count"] >= 0
    ws.close()
    sub.close()
    time.sleep(0.3)
    _, end = scrape(broker)
    assert end['iotbroker_connections{listener="ws"}'] == 0


def test_publish_reaches_subscribers(broker, api):
    sub = Client(broker.port, "api-sub", V5)
    sub.sub("api/#", 1)
    status, out = api.post("/api/v1/publish", {"topic": "api/text", "payload": "hello", "qos": 1})
    assert status == 200 and int(out["messageId"]) > 0
    m = sub.get()
    assert (m.topic, m.payload, m.qos) == ("api/text", b"hello", 1)
    raw = bytes(range(256))
    status, _ = api.post("/api/v1/publish", {"topic": "api/bin", "qos": 0,
                                             "payloadBase64": base64.b64encode(raw).decode()})
    assert status == 200
    assert sub.get().payload == raw
    status, out = api.post("/api/v1/publish", {"topic": "api/+", "payload": "x"})
    assert status == 400 and out["code"] == "bad_field"
    status, out = api.post("/api/v1/publish", {"topic": "a", "payload": "x", "qos": 3})
    assert status == 400
    status, out = api.post("/api/v1/publish", {"topic": "a", "payload": "x", "extra": 1})
    assert status == 400 and "extra" in out["message"]


def test_retained_list_and_delete(broker, api):
    api.post("/api/v1/publish", {"topic": "keep/a", "payload": "1", "retain": True})
    api.post("/api/v1/publish", {"topic": "keep/b", "payload": "2", "retain": True, "qos": 1})
    status, out = api.get("/api/v1/retained?topic=keep/%23")
    assert status == 200 and out["total"] == 2
    assert [i["topic"] for i in out["items"]] == ["keep/a", "keep/b"]
    assert base64.b64decode(out["items"][1]["payloadBase64"]) == b"2"
    status, _ = api.call("DELETE", "/api/v1/retained?topic=keep/a")[:2]
    assert status == 200
    status, out = api.get("/api/v1/retained")
    assert [i["topic"] for i in out["items"]] == ["keep/b"]
    assert api.call("DELETE", "/api/v1/retained?topic=keep/none")[0] == 404
    late = Client(broker.port, "late", V311)
    late.sub("keep/#", 0)
    assert late.get().topic == "keep/b"
    assert late.none() is None


def test_downlink_quota_and_no_loss(broker_factory):
    b = broker_factory("--device-downlink-rate", "5")
    api = admin_api(b)
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "lamp_1")
    pk = p["productKey"]
    _, d, _ = cli(b.data_dir, "device", "create", "--product", pk, "--name", "lamp-0001")
    cid, user, pw = device_credentials(pk, "lamp-0001", d["deviceSecret"])
    dev = Client(b.port, cid, V311, clean=False, username=user, password=pw)
    dev.sub("/%s/lamp-0001/user/get" % pk, 1)
    dev.close()  # offline, persistent: QoS 1 is queued in the store
    codes = []
    for i in range(12):
        status, _ = api.post("/api/v1/publish", {"topic": "/%s/lamp-0001/user/get" % pk,
                                                 "payload": str(i), "qos": 1})
        codes.append(status)
    assert codes.count(200) >= 5 and codes.count(429) >= 5, codes
    accepted = [str(i).encode() for i, c in enumerate(codes) if c == 200]
    dev = Client(b.port, cid, V311, clean=False, username=user, password=pw)
    got = [dev.get().payload for _ in accepted]
    assert got == accepted  # every accepted QoS 1 message arrives, in order
    _, values = scrape(b)
    assert values['iotbroker_throttled_total{what="downlink"}'] >= 5


def test_broadcast_size_and_rate(broker, api):
    status, p = api.post("/api/v1/products", {"name": "bcast_1"})
    pk = p["productKey"]
    _, d, _ = cli(broker.data_dir, "device", "create", "--product", pk, "--name", "dev-0001")
    cid, user, pw = device_credentials(pk, "dev-0001", d["deviceSecret"])
    dev = Client(broker.port, cid, V311, username=user, password=pw)
    dev.sub("/broadcast/%s/news" % pk, 0)
    status, out = api.post("/api/v1/products/%s/broadcast" % pk,
                           {"topicSuffix": "news", "payload": "x" * (64 * 1024 + 1)})
    assert status == 413
    status, out = api.post("/api/v1/products/%s/broadcast" % pk,
                           {"topicSuffix": "news", "payload": "hello all"})
    assert status == 200, out
    assert dev.get().payload == b"hello all"
    status, out = api.post("/api/v1/products/%s/broadcast" % pk,
                           {"topicSuffix": "news", "payload": "again"})
    assert status == 429 and out["code"] == "throttled"


def test_sessions_list_filter_and_kick(broker, api):
    a = Client(broker.port, "sess-a", V5)
    b = Client(broker.port, "sess-b", V311, clean=False)
    b.sub("s/#", 1)
    b.close()  # persistent: stays, offline
    status, out = api.get("/api/v1/sessions?clientId=sess-")
    assert status == 200 and out["total"] == 2
    by_id = {s["clientId"]: s for s in out["items"]}
    assert by_id["sess-a"]["state"] == "online" and by_id["sess-a"]["protocol"] == "5.0"
    assert by_id["sess-a"]["listener"] == "mqtt" and by_id["sess-a"]["ip"] == "127.0.0.1"
    assert by_id["sess-b"]["state"] == "offline" and by_id["sess-b"]["durable"] is True
    status, out = api.get("/api/v1/sessions?state=online&clientId=sess-")
    assert [s["clientId"] for s in out["items"]] == ["sess-a"]
    assert api.get("/api/v1/sessions?state=sleepy")[0] == 400
    status, out = api.get("/api/v1/subscriptions?clientId=sess-b")
    assert status == 200 and [(s["topic"], s["qos"]) for s in out["items"]] == [("s/#", 1)]
    status, out = api.get("/api/v1/subscriptions?match=s/x/y")
    assert [s["clientId"] for s in out["items"]] == ["sess-b"]
    assert api.get("/api/v1/subscriptions?match=s/%2B")[0] == 400
    # DELETE disconnects with 0x98 and drops the session.
    status = api.call("DELETE", "/api/v1/sessions/sess-a")[0]
    assert status == 204
    rc = a.disconnects.get(timeout=5)
    assert (rc if isinstance(rc, int) else rc.value) == 0x98
    assert api.call("DELETE", "/api/v1/sessions/sess-b")[0] == 204
    time.sleep(0.3)
    status, out = api.get("/api/v1/sessions?clientId=sess-")
    assert out["total"] == 0
    assert api.get("/api/v1/subscriptions?clientId=sess-b")[1]["total"] == 0
    assert api.call("DELETE", "/api/v1/sessions/nobody")[0] == 404
    # The dropped persistent session is gone: a reconnect finds no session.
    b2 = Client(broker.port, "sess-b", V311, clean=False)
    assert b2.flags["session present"] == 0
