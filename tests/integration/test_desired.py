"""Desired property values and the thing model behind server -> device
calls (SPEC §4; issue 11 part 3), through the real binary: a property set
to an offline device answers 202 QUEUED and is kept as desired; the device
reads it with `thing.property.desired.get`, and gets it as a
`thing.service.property.set` when it reconnects (automatic subscription,
`_ss=1`, or its own SUBSCRIBE a little later); its `set_reply` 200 clears
what it was sent, any other code keeps it. A service's callType comes from
the thing model: `Reboot` is sync there, so it travels over RRPC without
the body's override."""
import concurrent.futures
import json
import os
import time

import pytest

from adminapi import admin_api
from devices import device_credentials
from waiting import wait_for
from mqttc import V311, Client

TSL = os.path.join(os.path.dirname(__file__), "..", "data", "lamp-tsl.json")


@pytest.fixture
def env(broker_factory):
    broker = broker_factory("--device-connect-rate", "1000")
    api = admin_api(broker)
    status, p = api.post("/api/v1/products", {"name": "lamp"})
    assert status == 201
    pk = p["productKey"]
    status, info, _ = api.call("PUT", "/api/v1/products/%s/thing-model" % pk,
                               raw=open(TSL, "rb").read())
    assert status == 200, info
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "lamp-0001"})
    assert status == 201
    return {"broker": broker, "api": api, "pk": pk, "secret": d["deviceSecret"],
            "path": "/api/v1/products/%s/devices/lamp-0001" % pk}


def connect(e, extra="_ss=1"):
    cid, user, pw = device_credentials(e["pk"], "lamp-0001", e["secret"], extra=extra)
    return Client(e["broker"].port, cid, V311, username=user, password=pw)


def log_texts(e):
    status, out = e["api"].get(e["path"] + "/log")
    assert status == 200, out
    return [i["text"] for i in out["items"]]



def desired_get(e, dev, ids):
    sys = "/sys/%s/lamp-0001/thing/" % e["pk"]
    dev.sub(sys + "property/desired/get_reply", 0)
    dev.pub(sys + "property/desired/get", json.dumps({"id": "7", "params": ids}), 1)
    m = dev.get(timeout=10)
    assert m.topic.endswith("/desired/get_reply"), m.topic
    return json.loads(m.payload)


def queue_set(e, params):
    status, out = e["api"].post(e["path"] + "/properties/set", {"params": params})
    assert status == 202 and out["result"] == "QUEUED", (status, out)
    assert out["messageId"]
    return out["messageId"]


def test_offline_set_is_queued_then_delivered_at_reconnect_and_cleared(env):
    mid = queue_set(env, {"Brightness": 40, "Color": 2})
    queue_set(env, {"Brightness": 55})  # a second set: the version counts it
    assert wait_for(lambda: any("kept as desired" in t and mid in t for t in log_texts(env)))

    dev = connect(env)  # _ss=1: subscribed to …/property/set without a SUBSCRIBE
    m = dev.get(timeout=10)
    assert m.topic == "/sys/%s/lamp-0001/thing/service/property/set" % env["pk"], m.topic
    text = m.payload.decode()
    assert ": " not in text and ", " not in text  # compact
    body = json.loads(text)
    assert body["method"] == "thing.service.property.set"
    assert body["params"] == {"Brightness": 55, "Color": 2}
    # Before the answer, the values are still desired.
    got = desired_get(env, dev, ["Brightness", "Color"])
    assert got["code"] == 200
    assert got["data"]["Brightness"]["value"] == 55 and got["data"]["Brightness"]["version"] == 2
    dev.pub(m.topic + "_reply", json.dumps({"id": body["id"], "code": 200, "data": {}}), 1)
    assert wait_for(lambda: any("delivered at reconnect" in t for t in log_texts(env)))
    got = desired_get(env, dev, [])
    assert got["code"] == 200 and got["data"] == {}, got
    dev.close()

    # Nothing is left to deliver: the next reconnect gets no property set.
    dev = connect(env)
    assert dev.none(1.5) is None
    dev.close()


def test_refused_set_at_reconnect_stays_desired(env):
    queue_set(env, {"LightSwitch": 1})
    dev = connect(env)
    m = dev.get(timeout=10)
    body = json.loads(m.payload)
    dev.pub(m.topic + "_reply", json.dumps({"id": body["id"], "code": 6813, "data": {}}), 1)
    assert wait_for(lambda: any("not applied: code 6813" in t for t in log_texts(env)))
    got = desired_get(env, dev, ["LightSwitch"])
    assert got["data"]["LightSwitch"]["value"] == 1, got
    dev.close()


def test_device_subscribing_late_still_gets_desired(env):
    """A device without `_ss=1` subscribes itself after CONNACK: the courier
    waits for the subscription (0.5 s, 2 s, 5 s after the online event)."""
    queue_set(env, {"Label": "kitchen"})
    dev = connect(env, extra="")
    time.sleep(1.0)  # past the first check
    dev.sub("/sys/%s/lamp-0001/thing/service/property/set" % env["pk"], 0)
    m = dev.get(timeout=10)
    assert json.loads(m.payload)["params"] == {"Label": "kitchen"}
    dev.close()


def test_offline_set_for_unknown_device_and_bad_params(env):
    status, out = env["api"].post(
        "/api/v1/products/%s/devices/nobody/properties/set" % env["pk"], {"params": {"a": 1}})
    assert status == 404, out
    status, out = env["api"].post(env["path"] + "/properties/set", {"params": {}})
    assert status in (400, 502), out  # nothing to keep: never 202
    assert out.get("result") != "QUEUED"


def test_service_call_type_from_thing_model(env):
    """`Reboot` is sync in the model: no `sync` in the body, still RRPC."""
    dev = connect(env)
    fut_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    fut = fut_pool.submit(env["api"].post, env["path"] + "/services/Reboot", {"params": {}})
    req = dev.get(timeout=10)
    assert "/rrpc/request/" in req.topic, req.topic
    body = json.loads(req.payload)
    assert body["method"] == "thing.service.Reboot"
    dev.pub(req.topic.replace("/request/", "/response/"),
            json.dumps({"id": body["id"], "code": 200, "data": {"ok": 1}}))
    status, out = fut.result(timeout=15)
    assert status == 200 and out["data"] == {"ok": 1}, out
    # A service the model does not name stays async (the default).
    status, out = env["api"].post(env["path"] + "/services/Blink", {"params": {}})
    assert status == 202, out
    m = dev.get(timeout=10)
    assert m.topic.endswith("/thing/service/Blink"), m.topic
    fut_pool.shutdown()
    dev.close()


def test_strict_product_refuses_calls_the_model_forbids(env):
    """A strict product's property set and service call are checked
    against the thing model before anything is sent (weak: sent as given)."""
    api, pk = env["api"], env["pk"]
    status, out, _ = api.call("PUT", "/api/v1/products/%s/thing-model/check-mode" % pk,
                              {"checkMode": "strict"})
    assert status == 200, out
    dev = connect(env)
    for params, code in [({"Brightness": "high"}, "6306"), ({"Nope": 1}, "6304"),
                         ({"Temperature": 3}, "460")]:
        status, out = api.post(env["path"] + "/properties/set", {"params": params})
        assert status == 400 and out["code"] == "bad_field", (params, status, out)
        assert code in out["message"], out
    status, out = api.post(env["path"] + "/services/Explode", {"params": {}})
    assert status == 400 and "service not exist" in out["message"], out
    status, out = api.post(env["path"] + "/services/Reboot", {"params": {"DelaySeconds": 99}})
    assert status == 400 and "6306" in out["message"], out
    assert dev.none(0.5) is None  # nothing reached the device
    # Valid values go out.
    fut = concurrent.futures.ThreadPoolExecutor(1).submit(
        api.post, env["path"] + "/properties/set", {"params": {"Brightness": 10}})
    req = dev.get(timeout=10)
    assert req.topic.endswith("/thing/service/property/set")
    body = json.loads(req.payload)
    dev.pub(req.topic + "_reply", json.dumps({"id": body["id"], "code": 200, "data": {}}), 1)
    status, out = fut.result(timeout=15)
    assert status == 200 and out["code"] == 200, out
    # Weak again: an unknown identifier is the device's business.
    api.call("PUT", "/api/v1/products/%s/thing-model/check-mode" % pk, {"checkMode": "weak"})
    fut = concurrent.futures.ThreadPoolExecutor(1).submit(
        api.post, env["path"] + "/properties/set", {"params": {"Nope": 1}, "timeoutMs": 1000})
    assert dev.get(timeout=10).topic.endswith("/thing/service/property/set")
    assert fut.result(timeout=15)[0] == 504
