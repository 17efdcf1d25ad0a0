"""Server -> device calls through the real binary (SPEC §3, §4, §8; issue 11
parts 3 and 5a/5d): RRPC in both forms, TIMEOUT, OFFLINE, answers for
unknown ids, property set completed by set_reply, service invoke async and
sync, the no-local rule for automatic subscriptions, the downlink quota and
the CLI. Devices connect as the vendor SDKs do: signed CONNECT, `_ss=1`
(automatic subscription, no SUBSCRIBE) and, for the 4.x SDK, `ext=3`.
The API call runs in a thread while the test plays the device; nothing
sleeps to wait for the broker."""
import base64
import concurrent.futures
import json
import os
import subprocess
import time

import pytest

from adminapi import admin_api, basic
from conftest import binary_path, cli
from devices import device_credentials
from mqttc import V311, Client

V3_SDK = "_ss=1,gw=0,ext=0"
V4_SDK = "_ss=1,ext=3,_conn=abc"


@pytest.fixture
def env(broker_factory):
    broker = broker_factory("--device-connect-rate", "1000")
    d = broker.data_dir
    _, p, _ = cli(d, "product", "create", "--name", "thermo_1")
    pk = p["productKey"]
    devs = {}
    for name in ("dev-0001", "dev-0002"):
        _, dev, _ = cli(d, "device", "create", "--product", pk, "--name", name)
        devs[name] = dev
    _, app, _ = cli(d, "app", "create", "--product", pk, "--name", "backend")
    api = admin_api(broker)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    yield {"broker": broker, "pk": pk, "devs": devs, "api": api, "app": app, "pool": pool}
    pool.shutdown(wait=True)


def connect(e, name="dev-0001", extra=V3_SDK):
    dev = e["devs"][name]
    cid, user, pw = device_credentials(e["pk"], name, dev["deviceSecret"],
                                       timestamp=2524608000000, extra=extra)
    return Client(e["broker"].port, cid, V311, username=user, password=pw)


def dev_path(e, name="dev-0001"):
    return "/api/v1/products/%s/devices/%s" % (e["pk"], name)


def call_async(e, path, body):
    """Runs the API call in a thread: the test answers as the device meanwhile."""
    return e["pool"].submit(e["api"].post, path, body)


def device_log_texts(e, name="dev-0001"):
    status, out = e["api"].get(dev_path(e, name) + "/log")
    assert status == 200, out
    return [i["text"] for i in out["items"]]


def wait_for(pred, timeout=10.0):
    """Polls a condition the broker reaches on its own (the device log is
    written through the store writer's next group)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def metric(e, name):
    import urllib.request
    with urllib.request.urlopen(e["broker"].admin_url("/metrics"), timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("iotbroker_" + name + " "):
                return float(line.split()[-1])
    return None


def b64(s):
    return base64.b64encode(s.encode()).decode()


def test_rrpc_success_sys_form(env):
    """A 3.x SDK device (no ext=3) gets /sys/…/rrpc/request/${id} without a
    SUBSCRIBE and answers on …/rrpc/response/${id}; an application
    subscribed to the responses still sees them."""
    pk = env["pk"]
    app = Client(env["broker"].port, "backend-1", V311, username=env["app"]["accessKeyId"],
                 password=env["app"]["accessKeySecret"])
    app.sub("/sys/%s/+/rrpc/response/+" % pk)
    dev = connect(env)
    fut = call_async(env, dev_path(env) + "/rrpc", {"payload": "ping", "timeoutMs": 8000})
    req = dev.get(timeout=10)
    prefix = "/sys/%s/dev-0001/rrpc/request/" % pk
    assert req.topic.startswith(prefix)
    assert req.payload == b"ping"
    mid = req.topic[len(prefix):]
    dev.pub("/sys/%s/dev-0001/rrpc/response/%s" % (pk, mid), b"pong")
    status, out = fut.result(timeout=15)
    assert status == 200, out
    assert out == {"result": "SUCCESS", "messageId": mid, "payloadBase64": b64("pong")}
    seen = app.get(timeout=5)
    assert seen.topic.endswith("/rrpc/response/" + mid) and seen.payload == b"pong"


def test_rrpc_success_ext_form_and_no_echo(env):
    """5d: an ext=3 device (4.x SDK) gets RRPC only as /ext/rrpc/${id}/…
    (by default its /${pk}/${dn}/user/get) and answers on the same topic;
    5a: its answer does not come back to it through /ext/rrpc/+/…"""
    pk = env["pk"]
    dev = connect(env, extra=V4_SDK)
    fut = call_async(env, dev_path(env) + "/rrpc", {"payloadBase64": b64("\x01ping")})
    req = dev.get(timeout=10)
    parts = req.topic.split("/")
    assert parts[1:3] == ["ext", "rrpc"] and "/".join(parts[4:]) == "%s/dev-0001/user/get" % pk
    assert req.payload == b"\x01ping"
    dev.pub(req.topic, b"pong")
    status, out = fut.result(timeout=15)
    assert status == 200, out
    assert out["result"] == "SUCCESS" and out["payloadBase64"] == b64("pong")
    assert out["messageId"] == parts[3]
    assert dev.none(0.5) is None  # its own answer is not delivered back
    # A caller-named topic of the device's own (the platform's custom-topic RRPC).
    fut = call_async(env, dev_path(env) + "/rrpc",
                     {"payload": "x", "topic": "/sys/%s/dev-0001/thing/service/custom" % pk})
    req = dev.get(timeout=10)
    assert req.topic.endswith("/sys/%s/dev-0001/thing/service/custom" % pk)
    dev.pub(req.topic, b"y")
    assert fut.result(timeout=15)[1]["payloadBase64"] == b64("y")
    # A topic of another device is refused.
    status, out = env["api"].post(dev_path(env) + "/rrpc",
                                  {"payload": "x", "topic": "/%s/dev-0002/user/get" % pk})
    assert status == 400 and out["code"] == "bad_field"


def test_rrpc_timeout_offline_unknown_device(env):
    """TIMEOUT after timeoutMs when the device does not answer (logged in the
    device log); OFFLINE at once for a device without a session; 404 for a
    device that does not exist; timeoutMs above 8000 is refused."""
    dev = connect(env)
    t0 = time.monotonic()
    status, out = env["api"].post(dev_path(env) + "/rrpc", {"payload": "ping", "timeoutMs": 300})
    assert status == 200 and out["result"] == "TIMEOUT", out
    assert 0.25 < time.monotonic() - t0 < 5
    assert dev.get(timeout=5).payload == b"ping"  # it was delivered, just not answered
    assert wait_for(lambda: any("no answer within 300 ms" in t for t in device_log_texts(env)))
    status, out = env["api"].post(dev_path(env, "dev-0002") + "/rrpc", {"payload": "ping"})
    assert status == 200 and out["result"] == "OFFLINE", out
    status, out = env["api"].post(dev_path(env, "no-such-dev") + "/rrpc", {"payload": "ping"})
    assert status == 404, out
    status, out = env["api"].post(dev_path(env) + "/rrpc", {"payload": "p", "timeoutMs": 9000})
    assert status == 400, out


def test_rrpc_answer_for_unknown_id_is_dropped_and_logged(env):
    """An answer whose message id matches no pending call (never sent,
    expired) is dropped, counted and written to the device log."""
    pk = env["pk"]
    dev = connect(env)
    before = metric(env, 'call_answers_dropped_total{reason="unknown_id"}') or 0
    dev.pub("/sys/%s/dev-0001/rrpc/response/123456" % pk, b"late", qos=1)
    assert wait_for(lambda: any("unknown or expired message id" in t
                                for t in device_log_texts(env)))
    assert metric(env, 'call_answers_dropped_total{reason="unknown_id"}') >= before + 1
    # An answer that arrives after its call timed out: the same.
    status, out = env["api"].post(dev_path(env) + "/rrpc", {"payload": "p", "timeoutMs": 200})
    assert out["result"] == "TIMEOUT"
    req = dev.get(timeout=5)
    dev.pub(req.topic.replace("/request/", "/response/"), b"too late", qos=1)
    assert wait_for(lambda: sum("unknown or expired" in t for t in device_log_texts(env)) >= 2)


def test_property_set_completed_by_set_reply(env):
    """The device gets a compact Alink thing.service.property.set without a
    SUBSCRIBE; its set_reply completes the call with its code and data.
    Offline: 409 OFFLINE (until the desired-property cache exists)."""
    pk = env["pk"]
    dev = connect(env, extra=V4_SDK)
    fut = call_async(env, dev_path(env) + "/properties/set", {"params": {"on": 1, "t": 21.5}})
    req = dev.get(timeout=10)
    assert req.topic == "/sys/%s/dev-0001/thing/service/property/set" % pk
    text = req.payload.decode()
    assert ": " not in text and ", " not in text  # compact (the 4.x SDK's parser)
    body = json.loads(text)
    assert body["method"] == "thing.service.property.set" and body["version"] == "1.0"
    assert body["params"] == {"on": 1, "t": 21.5}
    dev.pub(req.topic + "_reply",
            json.dumps({"id": body["id"], "code": 200, "data": {"on": 1}}).encode())
    status, out = fut.result(timeout=15)
    assert status == 200, out
    assert out["result"] == "SUCCESS" and out["messageId"] == body["id"]
    assert out["code"] == 200 and out["data"] == {"on": 1}
    assert dev.none(0.3) is None
    status, out = env["api"].post(dev_path(env, "dev-0002") + "/properties/set",
                                  {"params": {"on": 0}})
    assert status == 202 and out["result"] == "QUEUED", out  # kept as desired (test_desired.py)
    status, out = env["api"].post(dev_path(env) + "/properties/set", {"params": [1]})
    assert status == 400, out


def test_property_set_timeout_is_504(env):
    dev = connect(env)
    status, out = env["api"].post(dev_path(env) + "/properties/set",
                                  {"params": {"on": 1}, "timeoutMs": 200})
    assert status == 504 and out["result"] == "TIMEOUT" and out["code"] == "timeout", out
    assert dev.get(timeout=5).topic.endswith("/thing/service/property/set")


def test_service_invoke_async_reply_logged_and_not_echoed(env):
    """Async (the default without a thing model): 202 with the messageId at
    once; the device's …/${id}_reply goes to the device log, and (5a) not
    back to the device through its …/thing/service/+ auto-subscription."""
    pk = env["pk"]
    dev = connect(env)
    status, out = env["api"].post(dev_path(env) + "/services/reboot", {"params": {"delay": 1}})
    assert status == 202 and out["result"] == "SENT", out
    req = dev.get(timeout=10)
    assert req.topic == "/sys/%s/dev-0001/thing/service/reboot" % pk
    body = json.loads(req.payload)
    assert body["id"] == out["messageId"] and body["method"] == "thing.service.reboot"
    dev.pub(req.topic + "_reply",
            json.dumps({"id": body["id"], "code": 200, "data": {}, "message": "ok"}).encode())
    assert wait_for(lambda: any("service reboot %s replied: code=200" % body["id"] in t
                                for t in device_log_texts(env)))
    assert dev.none(0.3) is None  # no echo of its own reply


def test_service_invoke_sync_through_rrpc(env):
    """sync (here by the body's override; later from the thing model): the
    Alink request goes through RRPC — /sys/…/rrpc/request/${id} for a 3.x
    device, /ext/rrpc/${id}/sys/…/thing/service/${serviceId} for ext=3 — and
    the call returns the device's data."""
    pk = env["pk"]
    dev = connect(env)
    fut = call_async(env, dev_path(env) + "/services/measure", {"params": {}, "sync": True})
    req = dev.get(timeout=10)
    assert "/rrpc/request/" in req.topic
    body = json.loads(req.payload)
    assert body["method"] == "thing.service.measure"
    dev.pub(req.topic.replace("/request/", "/response/"),
            json.dumps({"id": body["id"], "code": 200, "data": {"t": 21.5}}).encode())
    status, out = fut.result(timeout=15)
    assert status == 200 and out["data"] == {"t": 21.5} and out["code"] == 200, out
    dev.close()

    dev4 = connect(env, extra=V4_SDK)
    fut = call_async(env, dev_path(env) + "/services/measure", {"sync": True})
    req = dev4.get(timeout=10)
    parts = req.topic.split("/")
    assert parts[1:3] == ["ext", "rrpc"]
    assert "/".join(parts[4:]) == "sys/%s/dev-0001/thing/service/measure" % pk
    body = json.loads(req.payload)
    dev4.pub(req.topic, json.dumps({"id": body["id"], "code": 200, "data": {"t": 1}}).encode())
    status, out = fut.result(timeout=15)
    assert status == 200 and out["data"] == {"t": 1}, out
    assert dev4.none(0.3) is None


def test_calls_count_against_downlink_quota(broker_factory):
    broker = broker_factory("--device-downlink-rate", "2")
    d = broker.data_dir
    _, p, _ = cli(d, "product", "create", "--name", "thermo_1")
    cli(d, "device", "create", "--product", p["productKey"], "--name", "dev-0001")
    api = admin_api(broker)
    path = "/api/v1/products/%s/devices/dev-0001" % p["productKey"]
    statuses = [api.post(path + "/rrpc", {"payload": "x"})[0] for _ in range(4)]
    statuses.append(api.post(path + "/properties/set", {"params": {"a": 1}})[0])
    assert 429 in statuses, statuses
    status, out = api.post(path + "/services/x", {})
    assert status in (409, 429)
    if status == 429:
        assert out["code"] == "throttled"


def test_app_without_write_scope_cannot_call(env):
    status, out = env["api"].call(
        "POST", dev_path(env) + "/rrpc", {"payload": "x"},
        auth=basic(env["app"]["accessKeyId"], env["app"]["accessKeySecret"]))[:2]
    assert status == 403, out


def run_cli(e, *args, stdin=None):
    p = subprocess.Popen([binary_path(), *args, "--admin", e["broker"].admin_url(),
                          "--token", e["api"].token],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p


def test_cli_calls(env):
    """`iotbroker rrpc | property set | service invoke` against the running
    broker's admin API."""
    pk = env["pk"]
    dev = connect(env)
    p = run_cli(env, "rrpc", "--product", pk, "--device", "dev-0001", "--payload", "ping")
    req = dev.get(timeout=15)
    dev.pub(req.topic.replace("/request/", "/response/"), b"pong")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert json.loads(out)["payloadBase64"] == b64("pong")

    p = run_cli(env, "property", "set", "--product", pk, "--device", "dev-0001",
                "--params", '{"on":1}')
    req = dev.get(timeout=15)
    body = json.loads(req.payload)
    dev.pub(req.topic + "_reply", json.dumps({"id": body["id"], "code": 200}).encode())
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert json.loads(out)["code"] == 200

    p = run_cli(env, "service", "invoke", "--product", pk, "--device", "dev-0001",
                "--service", "reboot", "--params", "{}")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert json.loads(out)["result"] == "SENT"
    assert dev.get(timeout=10).topic.endswith("/thing/service/reboot")

    # OFFLINE exits 1 with the answer on stdout.
    p = run_cli(env, "rrpc", "--product", pk, "--device", "dev-0002", "--payload", "x")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and json.loads(out)["result"] == "OFFLINE"
    # Without --token, with the initial admin password of the data directory.
    p = subprocess.run([binary_path(), "rrpc", "--product", pk, "--device", "dev-0002",
                        "--payload", "x", "--admin", env["broker"].admin_url(),
                        "--data-dir", env["broker"].data_dir],
                       capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if k != "IOTB_TOKEN"})
    assert json.loads(p.stdout)["result"] == "OFFLINE", p.stderr


def test_shutdown_with_calls_in_progress(env):
    """SIGTERM while a call waits for its device: the broker ends the call
    and exits cleanly (the fixture checks the exit code and sanitizers)."""
    dev = connect(env)

    def call():
        try:
            return env["api"].post(dev_path(env) + "/rrpc", {"payload": "ping"})
        except Exception as e:  # the connection may close first
            return (None, repr(e))

    fut = env["pool"].submit(call)
    assert dev.get(timeout=10).payload == b"ping"
    assert env["broker"].stop() == 0
    status, out = fut.result(timeout=15)
    assert status in (None, 200, 500, 503), (status, out)


def test_answer_from_another_device_or_an_application_completes_nothing(env):
    """Issue 11's bad input: a device answering another device's call. The
    device ACL refuses dev-0002's PUBLISH on dev-0001's response topic (it
    never reaches the calls actor); an application of the product may
    publish there, but its answer is not from the called device: dropped
    as `wrong_sender` and counted. The call still ends TIMEOUT."""
    pk = env["pk"]
    dev = connect(env)
    other = connect(env, "dev-0002")
    app = Client(env["broker"].port, "backend-2", V311, username=env["app"]["accessKeyId"],
                 password=env["app"]["accessKeySecret"])
    before = metric(env, 'call_answers_dropped_total{reason="wrong_sender"}') or 0
    fut = call_async(env, dev_path(env) + "/rrpc", {"payload": "ping", "timeoutMs": 1500})
    req = dev.get(timeout=10)
    answer_topic = req.topic.replace("/request/", "/response/")
    other.pub(answer_topic, b"not mine", qos=1)
    app.pub(answer_topic, b"forged", qos=1)
    status, out = fut.result(timeout=15)
    assert status == 200 and out["result"] == "TIMEOUT", out
    assert wait_for(lambda: (metric(env, 'call_answers_dropped_total{reason="wrong_sender"}')
                             or 0) >= before + 1)
