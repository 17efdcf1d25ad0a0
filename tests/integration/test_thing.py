"""Thing model and Alink uplink through the real binary (SPEC §4): the
thing-model API and CLI, property posts as the vendor SDKs send them (3.x
with `method`, 4.x without it and with `sys.ack`), weak and strict check
modes, bad input with its Alink code and a device-log line, events, device
tags, desired values, dynamicTsl, OTA reports and gateway refusals."""
import json
import os
import time

import pytest

from adminapi import admin_api
from conftest import cli
from devices import device_credentials
from mqttc import V311, Client

TSL = os.path.join(os.path.dirname(__file__), "..", "data", "lamp-tsl.json")


@pytest.fixture
def api(broker):
    return admin_api(broker)


def product_with_model(broker, api, mode=None):
    status, p = api.post("/api/v1/products", {"name": "lamp"})
    assert status == 201
    pk = p["productKey"]
    q = "?checkMode=" + mode if mode else ""
    status, info, _ = api.call("PUT", "/api/v1/products/%s/thing-model%s" % (pk, q),
                               raw=open(TSL, "rb").read())
    assert status == 200, info
    return pk, info


def device(broker, api, pk, name="lamp-0001", extra="_ss=1"):
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": name})
    assert status == 201
    cid, user, pw = device_credentials(pk, name, d["deviceSecret"], extra=extra)
    return Client(broker.port, cid, V311, username=user, password=pw)


def post(dev, pk, dn, params, method=True, id_="1", ack=None, topic=None):
    body = {"id": id_, "version": "1.0", "params": params}
    if method:
        body["method"] = "thing.event.property.post"
    if ack is not None:
        body["sys"] = {"ack": ack}
    dev.pub(topic or "/sys/%s/%s/thing/event/property/post" % (pk, dn), json.dumps(body), 1)


def reply(dev, topic_suffix=None):
    m = dev.get()
    if topic_suffix:
        assert m.topic.endswith(topic_suffix), m.topic
    text = m.payload.decode()
    out = json.loads(text)
    # Compact (the 4.x SDK's parser needs it): no whitespace between tokens.
    assert json.dumps(out, separators=(",", ":"), ensure_ascii=False) == text, text
    return out


def device_log(api, pk, dn):
    status, out = api.get("/api/v1/products/%s/devices/%s/log" % (pk, dn))
    assert status == 200
    return [e["text"] for e in out["items"]]


def wait_for(fn, timeout=5.0):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.05)


def test_thing_model_api_roundtrip_and_errors(broker, api):
    pk, info = product_with_model(broker, api)
    assert (info["properties"], info["events"], info["services"]) == (9, 2, 3)
    assert info["checkMode"] == "weak"
    status, tsl = api.get("/api/v1/products/%s/thing-model" % pk)
    assert status == 200
    assert tsl["profile"]["productKey"] == pk  # rewritten to the product's key
    assert [p["identifier"] for p in tsl["properties"]][:2] == ["LightSwitch", "Brightness"]
    # Bad TSL: 400 naming the JSON path; nothing replaced.
    bad = json.loads(open(TSL).read())
    bad["properties"][1]["dataType"]["specs"]["max"] = "-5"
    status, out, _ = api.call("PUT", "/api/v1/products/%s/thing-model" % pk,
                              raw=json.dumps(bad).encode())
    assert status == 400 and "properties[1].dataType.specs" in out["message"], out
    status, out, _ = api.call("PUT", "/api/v1/products/%s/thing-model" % pk, raw=b"{not json")
    assert status == 400
    assert api.get("/api/v1/products/%s/thing-model" % pk)[1] == tsl
    # Unknown product: 404; check mode.
    assert api.get("/api/v1/products/nosuchpk000/thing-model")[0] == 404
    status, out = api.call("PUT", "/api/v1/products/%s/thing-model/check-mode" % pk,
                           {"checkMode": "strict"})[:2]
    assert status == 200 and out["checkMode"] == "strict"
    assert api.get("/api/v1/products/%s/thing-model/check-mode" % pk)[1]["checkMode"] == "strict"
    assert api.call("PUT", "/api/v1/products/%s/thing-model/check-mode" % pk,
                    {"checkMode": "loose"})[0] == 400


def test_cli_import_export(broker, tmp_path):
    _, p, _ = cli(broker.data_dir, "product", "create", "--name", "lamp_cli")
    pk = p["productKey"]
    _, info, _ = cli(broker.data_dir, "thing-model", "import", "--product", pk, TSL)
    assert info["properties"] == 9 and info["checkMode"] == "weak"
    out = tmp_path / "out.json"
    cli(broker.data_dir, "thing-model", "export", "--product", pk, str(out))
    exported = json.loads(out.read_text())
    assert exported["profile"]["productKey"] == pk
    assert len(exported["services"]) == 3
    _, info, _ = cli(broker.data_dir, "thing-model", "check-mode", "--product", pk, "strict")
    assert info["checkMode"] == "strict"
    rc, _, err = cli(broker.data_dir, "thing-model", "import", "--product", pk, "/nonexistent",
                     check=False)
    assert rc != 0 and "cannot read" in err


def test_property_post_reply_latest_and_history(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    post(dev, pk, "lamp-0001", {"Brightness": 40, "LightSwitch": 1}, id_="7")
    r = reply(dev, "/thing/event/property/post_reply")
    assert r == {"id": "7", "code": 200, "data": {}, "message": "success",
                 "method": "thing.event.property.post", "version": "1.0"}
    t0 = int(time.time() * 1000) + 10  # after the first post's receive time
    post(dev, pk, "lamp-0001", {"Brightness": {"value": 55, "time": t0}}, id_="8")
    assert reply(dev)["code"] == 200
    path = "/api/v1/products/%s/devices/lamp-0001/properties" % pk

    def latest():
        out = api.get(path)[1]
        return {i["identifier"]: i for i in out["items"]}
    got = wait_for(lambda: latest().get("Brightness", {}).get("value") == 55 and latest())
    assert got["Brightness"]["time"] == t0 and got["LightSwitch"]["value"] == 1
    status, h = api.get(path + "?identifier=Brightness")
    assert status == 200 and [i["value"] for i in h["items"]] == [40, 55]
    status, h = api.get(path + "?identifier=Brightness&from=%d" % t0)
    assert [i["value"] for i in h["items"]] == [55]
    assert api.get(path + "?from=1")[0] == 400
    assert api.get("/api/v1/products/%s/devices/nobody/properties" % pk)[0] == 404


def test_4x_sdk_no_method_and_ack0(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    post(dev, pk, "lamp-0001", {"Brightness": 10}, method=False, id_="41", ack=1)
    r = reply(dev)
    assert r["code"] == 200 and r["id"] == "41" and r["method"] == "thing.event.property.post"
    post(dev, pk, "lamp-0001", {"Brightness": 11}, method=False, id_="42", ack=0)
    assert dev.none() is None  # sys.ack 0: no reply
    path = "/api/v1/products/%s/devices/lamp-0001/properties" % pk
    assert wait_for(lambda: any(i["value"] == 11 for i in api.get(path)[1]["items"]))


def test_weak_mode_tags_and_keeps_valid_values(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    post(dev, pk, "lamp-0001", {"Brightness": 20, "Bogus": 1, "Color": 9})
    r = reply(dev)
    assert r["code"] == 200
    assert r["data"]["Bogus"] == "tsl parse: params not exist -> Bogus"
    assert "Color" in r["data"]
    path = "/api/v1/products/%s/devices/lamp-0001/properties" % pk
    items = wait_for(lambda: api.get(path)[1]["items"])
    assert [i["identifier"] for i in items] == ["Brightness"]
    assert wait_for(lambda: any("failed the thing model" in t
                                for t in device_log(api, pk, "lamp-0001")))


def test_strict_mode_rejects_and_stores_nothing(broker, api):
    pk, _ = product_with_model(broker, api, mode="strict")
    dev = device(broker, api, pk)
    post(dev, pk, "lamp-0001", {"Brightness": 20, "Bogus": 1})
    r = reply(dev)
    assert r["code"] == 6304 and "Bogus" in r["message"]
    post(dev, pk, "lamp-0001", {"Brightness": 101})
    assert reply(dev)["code"] == 6306
    post(dev, pk, "lamp-0001", {"Brightness": "high"})
    assert reply(dev)["code"] == 6306
    post(dev, pk, "lamp-0001", {"Note": "x" * 10241})
    assert reply(dev)["code"] == 6310
    post(dev, pk, "lamp-0001", {"Note": "x" * 10240}, id_="ok")
    assert reply(dev)["code"] == 200
    path = "/api/v1/products/%s/devices/lamp-0001/properties" % pk
    items = wait_for(lambda: api.get(path)[1]["items"])
    assert [i["identifier"] for i in items] == ["Note"]
    log = wait_for(lambda: [t for t in device_log(api, pk, "lamp-0001") if "6304" in t])
    assert log and "property_post refused" in log[0]


def test_bad_payloads_get_their_codes(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    topic = "/sys/%s/lamp-0001/thing/event/property/post" % pk
    dev.pub(topic, b"{\"id\":\"5\",\"params\":{\"Brightness\":1", 1)  # truncated
    assert reply(dev)["code"] == 6207
    dev.pub(topic, b"\xff\xfe not json", 1)
    assert reply(dev)["code"] == 6207
    dev.pub(topic, json.dumps({"id": "6", "params": [1, 2]}), 1)
    assert reply(dev)["code"] == 460
    many = {"p%d" % i: i for i in range(501)}
    post(dev, pk, "lamp-0001", many, id_="9")
    r = reply(dev)
    assert r["code"] == 460 and r["id"] == "9"
    path = "/api/v1/products/%s/devices/lamp-0001/properties" % pk
    assert api.get(path)[1]["items"] == []
    # The broker is still there for the next good post.
    post(dev, pk, "lamp-0001", {"Brightness": 3})
    assert reply(dev)["code"] == 200
    import urllib.request
    with urllib.request.urlopen(broker.admin_url("/metrics"), timeout=5) as r:
        text = r.read().decode()
    assert "iotbroker_thing_requests_total 5" in text, text
    assert "iotbroker_thing_refused_total 4" in text


def test_event_post_stored_and_answered(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    dev.pub("/sys/%s/lamp-0001/thing/event/Alarm/post" % pk,
            json.dumps({"id": "3", "version": "1.0", "method": "thing.event.Alarm.post",
                        "params": {"value": {"Level": 4, "Reason": "hot"},
                                   "time": 1700000000000}}), 1)
    r = reply(dev, "/thing/event/Alarm/post_reply")
    assert r["code"] == 200 and r["method"] == "thing.event.Alarm.post"
    path = "/api/v1/products/%s/devices/lamp-0001/events" % pk
    items = wait_for(lambda: api.get(path)[1]["items"])
    assert items[0]["identifier"] == "Alarm" and items[0]["type"] == "alert"
    assert items[0]["params"] == {"Level": 4, "Reason": "hot"}
    assert items[0]["time"] == 1700000000000
    dev.pub("/sys/%s/lamp-0001/thing/event/Alarm/post" % pk,
            json.dumps({"id": "4", "params": {"Level": 9}}), 1)
    r = reply(dev)
    assert r["code"] == 200 and "Level" in r["data"]  # weak: tagged


def test_deviceinfo_tags(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    base = "/sys/%s/lamp-0001/thing/deviceinfo/" % pk
    dev.pub(base + "update", json.dumps({"id": "1", "params": [
        {"attrKey": "room", "attrValue": "kitchen"}, {"attrKey": "floor", "attrValue": "2"}]}), 1)
    assert reply(dev, "/deviceinfo/update_reply")["code"] == 200
    dev.pub(base + "delete", json.dumps({"id": "2", "params": [{"attrKey": "floor"}]}), 1)
    assert reply(dev, "/deviceinfo/delete_reply")["code"] == 200
    dev.pub(base + "update", json.dumps({"id": "3", "params": [{"attrValue": "x"}]}), 1)
    assert reply(dev)["code"] == 460

    def tags():
        d = api.get("/api/v1/products/%s/devices/lamp-0001" % pk)[1]
        return d.get("tags")
    assert wait_for(lambda: tags() == [{"key": "room", "value": "kitchen"}]), tags()


def test_dynamic_tsl_desired_gateway_and_ota(broker, api):
    pk, _ = product_with_model(broker, api)
    dev = device(broker, api, pk)
    sys = "/sys/%s/lamp-0001/thing/" % pk
    dev.sub(sys + "property/desired/get_reply", 0)
    dev.pub(sys + "dynamicTsl/get", json.dumps({"id": "1", "params": {}}), 1)
    r = reply(dev, "/dynamicTsl/get_reply")
    assert r["code"] == 200 and r["data"]["profile"]["productKey"] == pk
    dev.pub(sys + "property/desired/get", json.dumps({"id": "2", "params": ["Brightness"]}), 1)
    r = reply(dev, "/desired/get_reply")
    assert r["code"] == 200 and r["data"] == {}
    # Gateway topics act for other devices: a device may not use them yet
    # (the ACL refuses them with a device-log line; no reply).
    dev.pub(sys + "topo/add", json.dumps({"id": "3", "params": []}), 1)
    assert dev.none() is None
    assert wait_for(lambda: any("topo/add" in t for t in device_log(api, pk, "lamp-0001")))
    dev.pub("/ota/device/inform/%s/lamp-0001" % pk,
            json.dumps({"id": "4", "params": {"version": "1.2.3", "module": "MCU"}}), 1)
    dev.pub("/ota/device/progress/%s/lamp-0001" % pk,
            json.dumps({"id": "5", "params": {"step": "150", "desc": "bad"}}), 1)
    assert wait_for(lambda: any("OTA progress refused" in t
                                for t in device_log(api, pk, "lamp-0001")))
    status, ota = api.get("/api/v1/products/%s/devices/lamp-0001/ota" % pk)
    assert status == 200 and ota["version"] == "1.2.3" and ota["module"] == "MCU"


def test_replies_never_loop_back_to_the_handler(broker, api):
    """The handler's own replies are no-local: an application subscribed to
    everything sees each post and each reply exactly once."""
    pk, _ = product_with_model(broker, api)
    status, app = api.post("/api/v1/apps", {"products": [pk]})
    assert status == 201
    spy = Client(broker.port, "spy", V311, username=app["accessKeyId"],
                 password=app["accessKeySecret"])
    spy.sub("/sys/%s/#" % pk, 0)
    dev = device(broker, api, pk)
    post(dev, pk, "lamp-0001", {"Brightness": 1})
    topics = sorted(spy.get().topic for _ in range(2))
    assert topics[0].endswith("/post") and topics[1].endswith("/post_reply")
    assert spy.none() is None


def test_history_retention(broker_factory, tmp_path):
    """History and events older than --thing-history-days go at the next
    retention pass (one runs at start); latest values stay."""
    b = broker_factory("--thing-history-days", "30")
    api = admin_api(b)
    pk, _ = product_with_model(b, api)
    dev = device(b, api, pk)
    now = int(time.time() * 1000)
    old = now - 40 * 86_400_000
    # Not among the automatic subscriptions (SPEC §3): the SDK subscribes.
    dev.sub("/sys/%s/lamp-0001/thing/event/property/history/post_reply" % pk, 0)
    dev.pub("/sys/%s/lamp-0001/thing/event/property/history/post" % pk,
            json.dumps({"id": "1", "params": {"Brightness": {"value": 1, "time": old}}}), 1)
    assert reply(dev)["code"] == 200
    post(dev, pk, "lamp-0001", {"Brightness": {"value": 2, "time": now}})
    assert reply(dev)["code"] == 200
    dev.pub("/sys/%s/lamp-0001/thing/event/Alarm/post" % pk,
            json.dumps({"id": "2", "params": {"value": {"Level": 1}, "time": old}}), 1)
    assert reply(dev)["code"] == 200
    path = "/api/v1/products/%s/devices/lamp-0001/properties?identifier=Brightness" % pk
    assert wait_for(lambda: len(api.get(path)[1]["items"]) == 2)
    dev.close()
    data = b.data_dir
    assert b.stop() == 0
    b2 = broker_factory("--data-dir", data, "--thing-history-days", "30")
    b2.data_dir = data
    api2 = admin_api(b2)
    assert wait_for(lambda: [i["value"] for i in api2.get(path)[1]["items"]] == [2])
    events = "/api/v1/products/%s/devices/lamp-0001/events" % pk
    assert api2.get(events)[1]["items"] == []
    latest = api2.get("/api/v1/products/%s/devices/lamp-0001/properties" % pk)[1]["items"]
    assert [i["value"] for i in latest] == [2]
