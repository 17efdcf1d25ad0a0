"""Remote configuration and OTA upgrades through the real binary (SPEC §3
topics; issue 11 part 2): a product's configuration file set by the API,
`thing.config.get` answered as the 4.x SDK asks it (no `method`,
`sys.ack`), the signed download link (tampered and expired links refused),
`thing.config.push` to online devices, and an OTA upgrade pushed at once to
an online device or, for an offline one, when it informs another version;
progress recorded; the upgrade marked done when the target is informed."""
import hashlib
import json
import time
import urllib.error
import urllib.request

import pytest

from adminapi import admin_api
from devices import device_credentials
from mqttc import V311, Client

CONFIG = b'{"sampling":5,"server":"ntp.example"}\n'


@pytest.fixture
def env(broker_factory):
    broker = broker_factory("--device-connect-rate", "1000")
    api = admin_api(broker)
    status, p = api.post("/api/v1/products", {"name": "meter"})
    assert status == 201
    pk = p["productKey"]
    secrets = {}
    for name in ("meter-1", "meter-2"):
        status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": name})
        assert status == 201
        secrets[name] = d["deviceSecret"]
    return {"broker": broker, "api": api, "pk": pk, "secrets": secrets}


def connect(e, name="meter-1", extra="_ss=1"):
    cid, user, pw = device_credentials(e["pk"], name, e["secrets"][name], extra=extra)
    return Client(e["broker"].port, cid, V311, username=user, password=pw)


def put_config(e, raw):
    status, out, _ = e["api"].call("PUT", "/api/v1/products/%s/config" % e["pk"], raw=raw)
    return status, out


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def log_texts(e, name="meter-1"):
    status, out = e["api"].get("/api/v1/products/%s/devices/%s/log" % (e["pk"], name))
    assert status == 200, out
    return [i["text"] for i in out["items"]]


def wait_for(pred, timeout=10.0):
    """Polls what the broker writes through its store writer's next group."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def compact(m):
    text = m.payload.decode()
    out = json.loads(text)
    assert json.dumps(out, separators=(",", ":"), ensure_ascii=False) == text, text
    return out


def test_config_file_api_and_bad_input(env):
    pk = env["pk"]
    status, out = env["api"].get("/api/v1/products/%s/config" % pk)
    assert status == 404, out
    status, out = put_config(env, CONFIG)
    assert status == 200, out
    sign = hashlib.sha256(CONFIG).hexdigest()
    assert out["sign"] == sign and out["configSize"] == len(CONFIG)
    assert out["configId"] == sign[:32] and out["signMethod"] == "Sha256"
    status, got = env["api"].get("/api/v1/products/%s/config" % pk)
    assert status == 200 and got["configId"] == out["configId"]
    status, _, _ = env["api"].call("GET", "/api/v1/products/%s/config/file" % pk)
    assert status == 200
    status, out = put_config(env, b"x" * (64 * 1024 + 1))
    assert status == 400, out
    status, out = put_config(env, b"")
    assert status == 400, out
    status, out, _ = env["api"].call("PUT", "/api/v1/products/nope/config", raw=CONFIG)
    assert status == 404, out
    # Without a token: 401 (only the signed link is open).
    status, out, _ = env["api"].call("GET", "/api/v1/products/%s/config/file" % pk, token="")
    assert status == 401


def test_config_get_as_the_4x_sdk_and_the_download_link(env):
    pk = env["pk"]
    dev = connect(env)
    sys = "/sys/%s/meter-1/thing/config/" % pk
    dev.sub(sys + "get_reply", 0)
    req = {"id": "11", "version": "1.0", "sys": {"ack": 1},
           "params": {"configScope": "product", "getType": "file"}}
    dev.pub(sys + "get", json.dumps(req), 1)
    r = compact(dev.get(timeout=10))
    assert r["id"] == "11" and r["code"] == 400  # no file yet
    assert "no configuration file" in r["message"]

    assert put_config(env, CONFIG)[0] == 200
    dev.pub(sys + "get", json.dumps(req), 1)
    r = compact(dev.get(timeout=10))
    assert r["code"] == 200, r
    data = r["data"]
    assert data["getType"] == "file" and data["signMethod"] == "Sha256"
    assert data["configSize"] == len(CONFIG) and data["sign"] == hashlib.sha256(CONFIG).hexdigest()
    assert data["url"].startswith(env["broker"].admin_url("/files/config/%s/%s?" % (pk, data["configId"])))
    status, body = fetch(data["url"])
    assert status == 200 and body == CONFIG
    # Tampered links: another signature, a moved expiry, another file id.
    url = data["url"]
    assert fetch(url[:-1] + ("0" if url[-1] != "0" else "1"))[0] == 403
    assert fetch(url.replace("expires=", "expires=9"))[0] == 403
    assert fetch(url.replace(data["configId"], "0" * 32))[0] == 403
    # A replaced file: the old link is 404.
    assert put_config(env, CONFIG + b" ")[0] == 200
    assert fetch(url)[0] == 404
    dev.close()


def test_config_push_to_online_devices(env):
    pk = env["pk"]
    assert put_config(env, CONFIG)[0] == 200
    dev = connect(env)  # _ss=1: …/thing/config/push is an automatic subscription
    status, out = env["api"].post("/api/v1/products/%s/config/push" % pk)
    assert status == 200 and out["devices"] == 1 and out["throttled"] == 0, out
    m = dev.get(timeout=10)
    assert m.topic == "/sys/%s/meter-1/thing/config/push" % pk
    body = compact(m)
    assert body["method"] == "thing.config.push" and body["params"]["configSize"] == len(CONFIG)
    assert fetch(body["params"]["url"]) == (200, CONFIG)
    assert wait_for(lambda: any("configuration" in t and "pushed" in t for t in log_texts(env)))
    dev.close()


def test_ota_upgrade_online_progress_and_done(env):
    pk = env["pk"]
    path = "/api/v1/products/%s/devices/meter-1/ota" % pk
    dev = connect(env)
    md5 = "0123456789abcdef0123456789abcdef"
    status, out = env["api"].post(path + "/upgrade", {
        "version": "2.0.0", "url": "https://fw.example/m-2.0.0.bin", "size": 4096, "md5": md5})
    assert status == 200 and out["sent"] is True, out
    m = dev.get(timeout=10)
    assert m.topic == "/ota/device/upgrade/%s/meter-1" % pk
    up = compact(m)
    assert up["code"] == "1000" and up["message"] == "success" and str(up["id"]) == out["messageId"]
    assert up["data"]["version"] == "2.0.0" and up["data"]["md5"] == md5
    assert up["data"]["signMethod"] == "Md5" and up["data"]["size"] == 4096
    dev.pub("/ota/device/progress/%s/meter-1" % pk,
            json.dumps({"id": "1", "params": {"step": "40", "desc": "downloading"}}), 1)
    dev.pub("/ota/device/inform/%s/meter-1" % pk,
            json.dumps({"id": "2", "params": {"version": "2.0.0"}}), 1)

    def state():
        s, o = env["api"].get(path)
        return o if s == 200 and o.get("version") == "2.0.0" and o.get("step") == 40 else None
    o = wait_for(state)
    assert o and o["upgrade"]["version"] == "2.0.0" and o["upgrade"]["done"] is True, o
    assert dev.none(0.5) is None  # the target version informed: nothing pushed again
    assert wait_for(lambda: any("upgrade to 2.0.0 done" in t for t in log_texts(env)))
    dev.close()


def test_ota_upgrade_for_offline_device_pushed_at_inform(env):
    pk = env["pk"]
    path = "/api/v1/products/%s/devices/meter-2/ota/upgrade" % pk
    status, out = env["api"].post(path, {"version": "3.1", "url": "http://fw.example/3.1.bin"})
    assert status == 202 and out["sent"] is False, out
    dev = connect(env, "meter-2")
    assert dev.none(0.5) is None  # nothing until the device says what it runs
    dev.pub("/ota/device/inform/%s/meter-2" % pk, json.dumps({"id": "1", "params": {"version": "3.0"}}), 1)
    m = dev.get(timeout=10)
    assert m.topic == "/ota/device/upgrade/%s/meter-2" % pk
    assert compact(m)["data"]["version"] == "3.1"
    dev.close()


def test_ota_upgrade_bad_input(env):
    pk = env["pk"]
    base = "/api/v1/products/%s/devices/" % pk
    for body in ({}, {"version": "1"}, {"version": "1", "url": "ftp://x/y"},
                 {"version": "1", "url": "http://x/y", "md5": "abc"},
                 {"version": "1", "url": "http://x/y", "signMethod": "crc32", "sign": "00"}):
        status, out = env["api"].post(base + "meter-1/ota/upgrade", body)
        assert status == 400, (body, out)
    status, out = env["api"].post(base + "nobody/ota/upgrade",
                                  {"version": "1", "url": "http://x/y"})
    assert status == 404, out


def test_public_url_names_the_links(broker_factory):
    broker = broker_factory("--public-url", "https://devices.example:8443/")
    api = admin_api(broker)
    status, p = api.post("/api/v1/products", {"name": "meter"})
    pk = p["productKey"]
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "meter-1"})
    status, _, _ = api.call("PUT", "/api/v1/products/%s/config" % pk, raw=CONFIG)
    assert status == 200
    cid, user, pw = device_credentials(pk, "meter-1", d["deviceSecret"], extra="_ss=1")
    dev = Client(broker.port, cid, V311, username=user, password=pw)
    dev.sub("/sys/%s/meter-1/thing/config/get_reply" % pk, 0)
    dev.pub("/sys/%s/meter-1/thing/config/get" % pk,
            json.dumps({"id": "1", "version": "1.0", "params": {}, "method": "thing.config.get"}), 1)
    r = compact(dev.get(timeout=10))
    assert r["data"]["url"].startswith("https://devices.example:8443/files/config/%s/" % pk), r
    dev.close()
