"""Device identity and security (SPEC §1-§3): the CLI registry, signed device
CONNECT over TCP as the vendor SDKs send it, per-device topic authorization
with its limits, takeover, disable/delete while connected, status
notifications, NTP, automatic subscription, application credentials,
anonymous confinement and the device log. Each test states what it proves."""
import json
import time

import pytest

from conftest import cli
from devices import device_credentials, sign
from mqttc import V311, V5, Client


def rc_value(rc):
    return rc if isinstance(rc, int) else rc.value


def codes(subacks):
    return [c if isinstance(c, int) else c.value for c in subacks]


@pytest.fixture
def fleet(broker_factory):
    """A product with two devices and an application credential. The tests
    connect one device many times a minute: its connect quota (5/min by
    default, tested in test_quotas.py) is raised."""
    broker = broker_factory("--device-connect-rate", "1000")
    d = broker.data_dir
    _, p, _ = cli(d, "product", "create", "--name", "thermo_1", "--category", "data/+=sub",
                  "--category", "telemetry=pub")
    _, d1, _ = cli(d, "device", "create", "--product", p["productKey"], "--name", "dev-0001")
    _, d2, _ = cli(d, "device", "create", "--product", p["productKey"], "--name", "dev-0002")
    _, app, _ = cli(d, "app", "create", "--product", p["productKey"], "--name", "backend")
    return {"broker": broker, "pk": p["productKey"], "product": p, "d1": d1, "d2": d2,
            "app": app}


def device(f, dev, version=V311, method="hmacsha256", **kw):
    cid, user, pw = device_credentials(f["pk"], dev["deviceName"], dev["deviceSecret"], method,
                                       **{k: v for k, v in kw.items()
                                          if k in ("client_id", "timestamp", "extra")})
    opts = {k: v for k, v in kw.items() if k in ("keepalive", "clean", "wait")}
    return Client(f["broker"].port, cid, version, username=user, password=pw, **opts)


def app_client(f, version=V311, client_id="backend-1"):
    return Client(f["broker"].port, client_id, version, username=f["app"]["accessKeyId"],
                  password=f["app"]["accessKeySecret"])


def device_log(f, dev):
    _, log, _ = cli(f["broker"].data_dir, "device", "log", "--product", f["pk"], "--name",
                    dev["deviceName"])
    return log


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def test_sign_cli_matches_spec_vector(broker):
    """`iotbroker sign` computes the SPEC §2.1 test vector."""
    _, out, _ = cli(broker.data_dir, "sign", "--product", "pk", "--device", "device", "--secret",
                    "secret", "--client-id", "12345", "--timestamp", "789", "--method",
                    "hmacsha1")
    assert out["password"].upper().startswith("FAFD82A3D602B37FB0FA8B7892F24A477F85")
    assert out["username"] == "device&pk"
    assert out["clientId"].startswith("12345|")


def test_devices_connect_as_sdks_do(fleet):
    """Every sign method, both versions, the 3.2 and 4.x SDK client ids,
    uppercase hex; uplink reaches an application subscriber."""
    f = fleet
    app = app_client(f)
    assert app.rc == 0
    assert codes(app.sub("/%s/+/user/#" % f["pk"], 1)) == [1]
    for version in (V311, V5):
        for method in ("hmacmd5", "hmacsha1", "hmacsha256"):
            dev = device(f, f["d1"], version, method, timestamp=2524608000000,
                         extra="_ss=1,gw=0,ext=0", keepalive=60)
            assert rc_value(dev.rc) == 0, (version, method)
            dev.pub("/%s/dev-0001/user/update" % f["pk"], b"t=21", 1)
            m = app.get()
            assert m.topic == "/%s/dev-0001/user/update" % f["pk"] and m.payload == b"t=21"
            dev.close()
    # The 4.x SDK: ext=3 and a per-connection _conn value, clean session.
    dev = device(f, f["d2"], V311, "hmacsha256", extra="ext=3,_conn=abc123", keepalive=1200)
    assert dev.rc == 0


REFUSALS = [
    # (what, how to spoil the CONNECT, 3.1.1 code, 5.0 reason)
    ("wrong signature", {"password": "00" * 32}, 4, 0x86),
    ("unknown product", {"username": "dev-0001&NoSuchProd1"}, 4, 0x86),
    ("unknown device", {"username": "dev-9999&{pk}"}, 4, 0x86),
    ("malformed extension", {"client_id": "{pk}.dev-0001|securemode=3,signmethod=hmacsha256"},
     2, 0x85),
    ("unsupported signmethod", {"client_id": "{pk}.dev-0001|securemode=3,signmethod=hmacsha512|"},
     2, 0x85),
    ("keep-alive 10", {"keepalive": 10}, 2, 0x85),
    ("keep-alive 5000", {"keepalive": 5000}, 2, 0x85),
]


@pytest.mark.parametrize("what,spoil,v3,v5", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_connects_get_documented_codes(fleet, what, spoil, v3, v5):
    f = fleet
    for version, expect in ((V311, v3), (V5, v5)):
        cid, user, pw = device_credentials(f["pk"], "dev-0001", f["d1"]["deviceSecret"])
        keepalive = spoil.get("keepalive", 60)
        cid = spoil.get("client_id", cid).format(pk=f["pk"])
        user = spoil.get("username", user).format(pk=f["pk"])
        pw = spoil.get("password", pw)
        c = Client(f["broker"].port, cid, version, username=user, password=pw,
                   keepalive=keepalive)
        assert rc_value(c.rc) == expect, (what, version, c.rc)
    assert f["broker"].alive()


def test_disabled_device_is_refused_and_kicked(fleet):
    """A connected device is disconnected when the CLI disables it; it is then
    refused with code 5 until enabled; deleting works the same."""
    f, d = fleet, fleet["broker"].data_dir
    dev = device(f, f["d1"], V5)
    assert rc_value(dev.rc) == 0
    cli(d, "device", "disable", "--product", f["pk"], "--name", "dev-0001")
    assert rc_value(dev.disconnects.get(timeout=5)) == 0x98  # administrative action
    again = device(f, f["d1"], V311)
    assert again.rc == 5
    cli(d, "device", "enable", "--product", f["pk"], "--name", "dev-0001")
    assert device(f, f["d1"], V311).rc == 0
    dev2 = device(f, f["d2"], V311)
    assert dev2.rc == 0
    cli(d, "device", "delete", "--product", f["pk"], "--name", "dev-0002")
    assert dev2.disconnects.get(timeout=5) != 0
    assert device(f, f["d2"], V311).rc == 4
    # A device created while the broker runs connects at once.
    _, d3, _ = cli(d, "device", "create", "--product", f["pk"], "--name", "dev-0003")
    assert device(f, d3, V311).rc == 0


def test_takeover_by_a_newer_connection(fleet):
    """One connection per device: a new one (any client id) takes over, 0x8E."""
    f = fleet
    first = device(f, f["d1"], V5, client_id="sn-1")
    assert rc_value(first.rc) == 0
    second = device(f, f["d1"], V5, client_id="sn-2")
    assert rc_value(second.rc) == 0
    assert rc_value(first.disconnects.get(timeout=5)) == 0x8E
    # The device log is written by the store writer (grouped, asynchronous).
    assert wait_for(lambda: any(e["kind"] == "takeover" for e in device_log(f, f["d1"])))


def test_device_acl_denials(fleet):
    """A device cannot subscribe to '#', other devices' topics or $SYS, cannot
    publish to another device's topic; limits on topic size, filters per
    SUBSCRIBE and subscriptions per device; each denial is in the device log."""
    f = fleet
    pk = f["pk"]
    for version, deny in ((V311, 0x80), (V5, 0x87)):
        dev = device(f, f["d1"], version)
        assert rc_value(dev.rc) == 0
        for flt in ("#", "/+/+/user/#", "/%s/dev-0002/user/get" % pk, "$SYS/#",
                    "/sys/%s/dev-0002/thing/service/+" % pk):
            assert codes(dev.sub(flt, 1)) == [deny], flt
        assert codes(dev.sub("/%s/dev-0001/user/get" % pk, 1)) == [1]
        assert codes(dev.sub("/%s/dev-0001/user/data/+" % pk, 1)) == [1]
        dev.close()
    # Publishing to another device's topic: dropped (0x87 on 5.0).
    other = device(f, f["d2"], V311)
    assert codes(other.sub("/%s/dev-0002/user/get" % pk, 1)) == [1]
    dev = device(f, f["d1"], V5)
    info = dev.pub("/%s/dev-0002/user/get" % pk, b"evil", 1)
    assert other.none() is None
    dev.pub("/%s/dev-0001/user/%s" % (pk, "x" * 120), b"long", 1)  # 129+ bytes: refused
    # 9 filters in one SUBSCRIBE: the 9th fails.
    flts = [("/%s/dev-0001/user/data/%d" % (pk, i), 1) for i in range(9)]
    dev.c.subscribe(flts)
    got = codes(dev.subacks.get(timeout=5))
    assert got[:8] == [1] * 8 and got[8] >= 0x80
    # The 101st subscription fails.
    dev3 = device(f, f["d2"], V311)
    for i in range(0, 100, 5):
        dev3.c.subscribe([("/%s/dev-0002/user/data/n%d" % (pk, i + j), 1) for j in range(5)])
        assert codes(dev3.subacks.get(timeout=5)) == [1] * 5
    # (dev3 already holds /user/get from `other`'s session? no: fresh session)
    assert codes(dev3.sub("/%s/dev-0002/user/data/last" % pk, 1)) == [0x80]
    log = device_log(f, f["d1"])
    kinds = [e["kind"] for e in log]
    assert kinds.count("acl_denied") >= 10
    assert any("subscribe to '#'" in e["text"] for e in log)
    assert any("/dev-0002/user/get" in e["text"] and e["text"].startswith("publish")
               for e in log)
    assert any(e["kind"] == "throttled" for e in log)
    assert f["broker"].alive()


def test_status_notifications_ntp_and_auto_subscription(fleet):
    """Online/offline JSON on /as/mqtt/status; the NTP responder; `_ss=1`
    devices receive downlink system topics without subscribing."""
    f = fleet
    pk = f["pk"]
    app = app_client(f)
    assert codes(app.sub("/as/mqtt/status/%s/#" % pk, 1)) == [1]
    dev = device(f, f["d1"], V311, extra="_ss=1")
    online = json.loads(app.get().payload)
    assert online["status"] == "online" and online["deviceName"] == "dev-0001"
    assert online["productKey"] == pk and online["clientIp"] == "127.0.0.1"
    assert online["utcTime"].endswith("Z")
    # NTP: the device is auto-subscribed to its response topic.
    dev.pub("/ext/ntp/%s/dev-0001/request" % pk, b'{"deviceSendTime":"1571724098000"}', 0)
    m = dev.get()
    assert m.topic == "/ext/ntp/%s/dev-0001/response" % pk
    ntp = json.loads(m.payload)
    assert ntp["deviceSendTime"] == "1571724098000"
    assert int(ntp["serverSendTime"]) >= int(ntp["serverRecvTime"]) > 1571724098000
    # Downlink property set reaches the device without a SUBSCRIBE.
    topic = "/sys/%s/dev-0001/thing/service/property/set" % pk
    app.pub(topic, b'{"id":"1","params":{"on":1}}', 1)
    m = dev.get()
    assert m.topic == topic
    dev.close()
    offline = json.loads(app.get().payload)
    assert offline["status"] == "offline"


def test_application_credentials(fleet):
    """Applications subscribe across their products' devices (also through
    $share), not to '#'; a wrong secret is refused with 4."""
    f = fleet
    pk = f["pk"]
    app = app_client(f, V5)
    assert rc_value(app.rc) == 0
    assert codes(app.sub("$share/g1//%s/+/user/#" % pk, 1)) == [1]
    assert codes(app.sub("#", 1)) == [0x87]
    assert codes(app.sub("/OtherProd01/+/user/#", 1)) == [0x87]
    dev = device(f, f["d2"], V311)
    dev.pub("/%s/dev-0002/user/update" % pk, b"via share", 1)
    assert app.get().payload == b"via share"
    bad = Client(f["broker"].port, "x", V311, username=f["app"]["accessKeyId"],
                 password="wrong")
    assert bad.rc == 4


def test_anonymous_clients_are_confined(fleet):
    """On loopback anonymous clients work, but never see or touch device
    topics, even through '#'."""
    f = fleet
    pk = f["pk"]
    anon = Client(f["broker"].port, "anon-1", V5)
    assert rc_value(anon.rc) == 0
    assert codes(anon.sub("#", 1)) == [1]
    assert codes(anon.sub("/sys/%s/+/thing/#" % pk, 1)) == [0x87]
    dev = device(f, f["d1"], V311)
    dev.pub("/%s/dev-0001/user/update" % pk, b"secret data", 1)
    anon.pub("plain/topic", b"hello", 1)
    m = anon.get()
    assert m.topic == "plain/topic"
    assert anon.none() is None
    other = device(f, f["d2"], V311)
    other.sub("/%s/dev-0002/user/get" % pk, 1)
    anon.pub("/%s/dev-0002/user/get" % pk, b"spoof", 1)
    assert other.none() is None


def test_secrets_never_logged(fleet):
    """Device, product and application secrets and passwords are not in the
    broker log, whatever happened."""
    f = fleet
    device(f, f["d1"], V311)
    Client(f["broker"].port, "%s.dev-0001|securemode=3,signmethod=hmacsha1|" % f["pk"], V311,
           username="dev-0001&%s" % f["pk"], password="badpassword")
    app_client(f)
    time.sleep(0.3)
    text = f["broker"].log_text()
    for secret in (f["d1"]["deviceSecret"], f["d2"]["deviceSecret"],
                   f["product"]["productSecret"], f["app"]["accessKeySecret"], "badpassword"):
        assert secret not in text
    _, dev_log, _ = cli(f["broker"].data_dir, "device", "log", "--product", f["pk"], "--name",
                        "dev-0001")
    assert any(e["kind"] == "auth_failure" and "signature" in e["text"] for e in dev_log)
    assert any(e["kind"] == "connect" and e["clientIp"] == "127.0.0.1" for e in dev_log)
    for e in dev_log:
        assert f["d1"]["deviceSecret"] not in e["text"]


def test_cli_errors_are_clear(broker):
    """Bad names and unknown keys give JSON errors and exit code 1."""
    d = broker.data_dir
    rc, _, err = cli(d, "product", "create", "--name", "x", check=False)
    assert rc == 1 and json.loads(err)["error"] == "invalid"
    rc, _, err = cli(d, "device", "create", "--product", "NoSuchProd1", check=False)
    assert rc == 1 and json.loads(err)["error"] == "not_found"
    _, p, _ = cli(d, "product", "create", "--name", "cli_test")
    rc, _, err = cli(d, "device", "create", "--product", p["productKey"], "--name", "a b c",
                     check=False)
    assert rc == 1 and "device name" in json.loads(err)["message"]
    _, many, _ = cli(d, "device", "create", "--product", p["productKey"], "--count", "3")
    assert len(many) == 3 and all(len(x["deviceSecret"]) == 32 for x in many)
    _, listed, _ = cli(d, "device", "list", "--product", p["productKey"])
    assert len(listed) == 3 and all("deviceSecret" not in x for x in listed)
    _, shown, _ = cli(d, "product", "show", "--product", p["productKey"])
    assert "productSecret" not in shown and shown["name"] == "cli_test"
    assert sign("k", "v", "hmacmd5", upper=False) == sign("k", "v", "hmacmd5").lower()
