"""Device shadows (SPEC §5; issue 11 part 4) through the real binary: a
device acting as the vendor's v3 SDK does on the wire (`_ss=1`, a
`clientToken` in every request, the malformed `delete`), the admin API's
GET/PATCH, the CLI, `control` pushed to an online device and at reconnect,
the limits and error codes, the per-device rate, idle actors stopping,
and the document surviving a restart."""
import json
import re
import subprocess
import time
import urllib.request

import pytest

from adminapi import admin_api
from conftest import Broker, binary_path
from devices import device_credentials
from waiting import wait_for
from mqttc import V311, Client


@pytest.fixture
def env(broker_factory):
    return make_env(broker_factory("--device-connect-rate", "1000"))


def make_env(broker):
    api = admin_api(broker)
    status, p = api.post("/api/v1/products", {"name": "lamp"})
    assert status == 201
    pk = p["productKey"]
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "lamp-0001"})
    assert status == 201
    return {"broker": broker, "api": api, "pk": pk, "secret": d["deviceSecret"],
            "path": "/api/v1/products/%s/devices/lamp-0001/shadow" % pk,
            "update": "/shadow/update/%s/lamp-0001" % pk,
            "get": "/shadow/get/%s/lamp-0001" % pk}


def connect(e, extra="_ss=1"):
    cid, user, pw = device_credentials(e["pk"], "lamp-0001", e["secret"], extra=extra)
    return Client(e["broker"].port, cid, V311, username=user, password=pw)


def request(e, dev, body, raw=None):
    """Publishes a shadow request; returns (raw reply text, parsed reply)."""
    dev.pub(e["update"], raw if raw is not None else json.dumps(body), 1)
    m = dev.get(timeout=10)
    assert m.topic == e["get"], m.topic
    text = m.payload.decode()
    return text, json.loads(text)



def log_texts(e):
    status, out = e["api"].get(e["path"].replace("/shadow", "/log"))
    assert status == 200, out
    return [i["text"] for i in out["items"]]


def metric(broker, name):
    text = urllib.request.urlopen(broker.admin_url("/metrics"), timeout=5).read().decode()
    m = re.search(r"^iotbroker_%s (\d+)" % name, text, re.M)
    return int(m.group(1)) if m else None


def test_update_get_delete_as_the_v3_sdk(env):
    dev = connect(env)
    text, r = request(env, dev, {"method": "update", "clientToken": "tok-1",
                                 "state": {"reported": {"color": "red", "temp": 21}},
                                 "version": 1})
    assert ": " not in text and ", " not in text, text  # compact, as the 4.x parser needs
    assert r["method"] == "reply" and r["clientToken"] == "tok-1", r
    assert r["payload"] == {"status": "success", "version": 1}, r
    _, r = request(env, dev, {"method": "get", "clientToken": "tok-2", "version": 1})
    assert r["clientToken"] == "tok-2"
    assert r["payload"]["state"]["reported"] == {"color": "red", "temp": 21}, r
    assert "timestamp" in r["payload"]["metadata"]["reported"]["color"]
    assert r["version"] == 1
    # Stored before the reply: the API reads the same document.
    status, doc, _ = env["api"].call("GET", env["path"])
    assert status == 200 and doc["state"]["reported"]["temp"] == 21 and doc["version"] == 1, doc
    # Delete one attribute, then all of reported.
    _, r = request(env, dev, {"method": "delete", "clientToken": "tok-3",
                              "state": {"reported": {"temp": "null"}}, "version": 2})
    assert r["payload"] == {"status": "success", "version": 2}, r
    status, doc, _ = env["api"].call("GET", env["path"])
    assert doc["state"]["reported"] == {"color": "red"}, doc
    _, r = request(env, dev, {"method": "delete", "clientToken": "tok-4",
                              "state": {"reported": "null"}})
    assert r["payload"]["status"] == "success" and r["payload"]["version"] == 3, r
    # An empty shadow: get and delete answer 407 (the v3 SDK takes it as success).
    _, r = request(env, dev, {"method": "get", "clientToken": "tok-5"})
    assert r["payload"]["status"] == "error", r
    assert r["payload"]["content"]["errorcode"] == "407" and r["clientToken"] == "tok-5", r


def test_bad_requests_get_their_codes_and_a_log_line(env):
    dev = connect(env)
    _, r = request(env, dev, {"method": "update", "clientToken": "a",
                              "state": {"reported": {"x": 1}}, "version": 5})
    assert r["payload"]["version"] == 5
    cases = [
        # (request, expected errorcode)
        ({"method": "update", "state": {"reported": {"x": 2}}, "version": 4}, "409"),  # backwards
        ({"method": "update", "state": {"reported": {"x": 2}}, "version": 5}, "409"),  # equal
        ({"state": {"reported": {"x": 2}}}, "401"),
        ({"method": "update"}, "402"),
        ({"method": "update", "state": {"reported": {"x": 1}}, "version": "6"}, "403"),
        ({"method": "update", "state": {"other": {"x": 1}}}, "404"),
        ({"method": "update", "state": {"reported": {}}}, "405"),
        ({"method": "patch", "state": {"reported": {"x": 1}}}, "406"),
        ({"method": "update", "state": {"reported": {"a%d" % i: i for i in range(129)}}}, "408"),
        ({"method": "update", "state": {"reported": {"big": "x" * 17000}}}, "400"),
        ({"method": "update",
          "state": {"reported": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}}, "400"),
    ]
    for i, (body, code) in enumerate(cases):
        body["clientToken"] = "bad-%d" % i
        _, r = request(env, dev, body)
        assert r["payload"]["status"] == "error", (body, r)
        assert r["payload"]["content"]["errorcode"] == code, (body, r)
        assert r["clientToken"] == "bad-%d" % i, r
    # Truncated JSON, and the v3 SDK's malformed delete: 400, the token found.
    _, r = request(env, dev, None, raw='{"method":"update","clientToken":"trunc","state":{')
    assert r["payload"]["content"]["errorcode"] == "400" and r["clientToken"] == "trunc", r
    _, r = request(env, dev, None,
                   raw='{"method":"delete",,"clientToken":"v3del","state":{"reported":null}}')
    assert r["payload"]["content"]["errorcode"] == "400" and r["clientToken"] == "v3del", r
    # Nothing stored wrongly: the document is still version 5 with x = 1.
    status, doc, _ = env["api"].call("GET", env["path"])
    assert doc["version"] == 5 and doc["state"]["reported"] == {"x": 1}, doc
    texts = wait_for(lambda: [t for t in log_texts(env) if "shadow" in t and "refused" in t])
    assert any("409" in t for t in texts) and any("408" in t for t in texts), texts
    assert metric(env["broker"], "shadow_refused_total") >= len(cases) + 2


def test_21_requests_in_a_second_get_429(env):
    dev = connect(env)
    for i in range(25):
        dev.pub(env["update"], json.dumps({"method": "get", "clientToken": "r%d" % i}), 0)
    codes = []
    for _ in range(25):
        r = json.loads(dev.get(timeout=10).payload)
        codes.append(r["payload"].get("content", {}).get("errorcode"))
    assert codes.count("429") >= 1, codes
    assert codes[:20].count("429") == 0, codes  # the first 20 are within the rate
    assert any("429" in t for t in wait_for(lambda: [t for t in log_texts(env) if "429" in t]))


def test_api_patch_pushes_control_and_the_device_clears_desired(env):
    dev = connect(env)
    request(env, dev, {"method": "update", "state": {"reported": {"color": "red"}}})
    status, out, _ = env["api"].call("PATCH", env["path"],
                                     {"state": {"desired": {"color": "green"}}, "version": 2})
    assert status == 200, out
    assert out["control"] == "sent" and out["version"] == 2, out
    assert out["state"]["desired"] == {"color": "green"}, out
    m = dev.get(timeout=10)
    assert m.topic == env["get"]
    text = m.payload.decode()
    assert ": " not in text, text
    c = json.loads(text)
    assert c["method"] == "control" and c["version"] == 2, c
    assert c["payload"]["state"]["desired"] == {"color": "green"}, c
    assert "color" in c["payload"]["metadata"]["desired"]
    # The v3 SDK applies it, reports it and clears desired.
    _, r = request(env, dev, {"method": "update", "clientToken": "ack",
                              "state": {"reported": {"color": "green"}, "desired": "null"},
                              "version": 3})
    assert r["payload"] == {"status": "success", "version": 3}, r
    status, doc, _ = env["api"].call("GET", env["path"])
    assert "desired" not in doc["state"] and doc["state"]["reported"]["color"] == "green", doc
    # API errors: a version that goes backwards, bad bodies.
    status, out, _ = env["api"].call("PATCH", env["path"],
                                     {"state": {"desired": {"color": "blue"}}, "version": 3})
    assert status == 409 and out["code"] == "conflict" and out["errorcode"] == 409, out
    status, out, _ = env["api"].call("PATCH", env["path"], raw=b'{"state":')
    assert status == 400 and out["errorcode"] == 400, out
    status, out, _ = env["api"].call("PATCH", env["path"], {"state": {"desired": {}}})
    assert status == 400 and out["errorcode"] == 405, out
    status, out, _ = env["api"].call("GET", "/api/v1/products/%s/devices/nope-0001/shadow"
                                     % env["pk"])
    assert status == 404, out
    assert metric(env["broker"], "shadow_controls_total") >= 1


def test_control_reaches_a_device_that_reconnects(env):
    status, out, _ = env["api"].call("PATCH", env["path"],
                                     {"state": {"desired": {"mode": "eco"}}})
    assert status == 200 and out["control"] == "offline", out
    dev = connect(env)  # _ss=1: subscribed to /shadow/get/… at CONNECT
    m = dev.get(timeout=10)
    c = json.loads(m.payload)
    assert m.topic == env["get"] and c["method"] == "control", c
    assert c["payload"]["state"]["desired"] == {"mode": "eco"}, c
    dev.close()
    # Without _ss=1 the device subscribes itself a little later.
    dev = connect(env, extra="")
    time.sleep(0.2)
    dev.sub(env["get"], 1)
    m = dev.get(timeout=10)
    assert json.loads(m.payload)["method"] == "control"
    assert any("control pushed" in t for t in log_texts(env))


def test_idle_actors_stop_and_the_document_stays(broker_factory):
    e = make_env(broker_factory("--device-connect-rate", "1000", "--shadow-idle-seconds", "1"))
    dev = connect(e)
    request(e, dev, {"method": "update", "state": {"reported": {"on": True}}})
    assert metric(e["broker"], "shadow_actors") == 1
    assert wait_for(lambda: metric(e["broker"], "shadow_actors") == 0, timeout=8)
    # A request after the stop is served by a new actor that reads the store.
    _, r = request(e, dev, {"method": "get", "clientToken": "again"})
    assert r["payload"]["state"]["reported"] == {"on": True}, r
    assert r["version"] == 1


def test_document_survives_a_restart_and_the_cli(tmp_path):
    b = Broker(tmp_path / "run", ["--device-connect-rate", "1000"])
    try:
        e = make_env(b)
        dev = connect(e)
        request(e, dev, {"method": "update", "state": {"reported": {"level": 7}}, "version": 9})
        dev.close()
    finally:
        assert b.stop() == 0
    b = Broker(tmp_path / "run", ["--device-connect-rate", "1000"])
    try:
        api = admin_api(b)
        path = "/api/v1/products/%s/devices/lamp-0001/shadow" % e["pk"]
        status, doc, _ = api.call("GET", path)
        assert status == 200 and doc["version"] == 9, doc
        assert doc["state"]["reported"] == {"level": 7}, doc

        def cli(*args):
            return subprocess.run([binary_path(), "shadow", *args, "--product", e["pk"],
                                   "--device", "lamp-0001", "--admin", b.admin_url(),
                                   "--token", api.token],
                                  capture_output=True, text=True, timeout=30)
        p = cli("update", "--desired", '{"level":9}', "--version", "10")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["state"]["desired"] == {"level": 9}
        p = cli("update", "--desired", '{"level":1}', "--version", "10")
        assert p.returncode == 1 and json.loads(p.stdout)["errorcode"] == 409, p.stdout
        p = cli("get")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["version"] == 10
        p = cli("update")
        assert p.returncode == 2
    finally:
        assert b.stop() == 0
