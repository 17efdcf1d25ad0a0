"""`--acl-file` (Mosquitto format) for applications and anonymous clients:
deny lines win, nothing is allowed unless granted, `%c`/`%u` patterns,
partly granted wildcard subscriptions filtered per delivery, devices not
affected, a bad file refused at start with its line number."""
import os
import subprocess
import time

import pytest

from conftest import Broker, binary_path, cli, free_port
from devices import device_credentials
from mqttc import V311, V5, Client


def codes(subacks):
    return [c if isinstance(c, int) else c.value for c in subacks]


def rc_value(rc):
    return rc if isinstance(rc, int) else rc.value


@pytest.fixture
def acl_broker(tmp_path):
    """start(text): a broker on a data directory that already holds a
    product, a device and an application credential `app`, with `text` as
    its ACL file (`{app}` replaced by the application's access key id)."""
    data = str(tmp_path / "data")
    _, p, _ = cli(data, "product", "create", "--name", "acl_1")
    _, dev, _ = cli(data, "device", "create", "--product", p["productKey"], "--name", "dev-0001")
    _, app, _ = cli(data, "app", "create", "--product", p["productKey"], "--name", "backend")
    started = []

    def start(text):
        path = tmp_path / ("acl%d.conf" % len(started))
        path.write_text(text.replace("{app}", app["accessKeyId"]))
        b = Broker(tmp_path / ("b%d" % len(started)),
                   ("--data-dir", data, "--acl-file", str(path)))
        b.pk, b.dev, b.app = p["productKey"], dev, app
        started.append(b)
        return b

    yield start
    for b in started:
        code = b.stop()
        text = b.log_text()
        assert "ERROR: AddressSanitizer" not in text, text[-4000:]
        assert "runtime error:" not in text, text[-4000:]
        assert code == 0, text[-3000:]


MOSQUITTO_STYLE = """# allow everything but one topic (the paho interoperability suite's setup)
topic readwrite #
topic deny test/nosubscribe

user {app}
topic readwrite #
"""


def test_denied_subscription_gets_suback_failure(acl_broker):
    b = acl_broker(MOSQUITTO_STYLE)
    c3 = Client(b.port, "anon-311", V311)
    assert codes(c3.sub("test/nosubscribe", 1)) == [0x80]
    assert codes(c3.sub("TopicA/#", 1)) == [1]
    c5 = Client(b.port, "anon-5", V5)
    assert codes(c5.sub("test/nosubscribe", 1)) == [0x87]
    assert codes(c5.sub("#", 2)) == [2]


def test_wildcard_subscription_never_delivers_a_denied_topic(acl_broker):
    """`#` is allowed (partly granted); a message on the denied topic, from
    a client allowed to publish there, is not delivered to it — nor as a
    retained message."""
    b = acl_broker(MOSQUITTO_STYLE)
    app = Client(b.port, "backend-1", V311, username=b.app["accessKeyId"],
                 password=b.app["accessKeySecret"])
    assert rc_value(app.rc) == 0
    app.pub("test/nosubscribe", "secret", qos=1, retain=True)
    anon = Client(b.port, "anon", V311)
    assert codes(anon.sub("#", 1)) == [1]
    assert codes(app.sub("test/nosubscribe", 1)) == [1]  # its own user section grants it
    app.none(0.3)
    app.pub("test/nosubscribe", "again", qos=1)
    app.pub("test/visible", "hello", qos=1)
    m = anon.get()
    assert (m.topic, m.payload) == ("test/visible", b"hello")
    assert anon.none() is None
    assert app.get().payload == b"again"
    # Anonymous publishing there is refused (dropped on 3.1.1).
    anon.pub("test/nosubscribe", "nope", qos=1)
    assert app.none() is None


def test_nothing_is_allowed_unless_granted(acl_broker):
    b = acl_broker("topic read public/#\n")
    c = Client(b.port, "anon", V5)
    assert codes(c.sub("public/+", 1)) == [1]
    assert codes(c.sub("private/x", 1)) == [0x87]
    info = c.pub("public/a", "x", qos=1)  # read only: the PUBLISH is refused
    assert info.rc == 0
    assert c.none() is None
    # The application has no user section: nothing.
    app = Client(b.port, "backend-1", V5, username=b.app["accessKeyId"],
                 password=b.app["accessKeySecret"])
    assert codes(app.sub("public/+", 1)) == [0x87]


def test_patterns_substitute_client_id_and_username(acl_broker):
    b = acl_broker("pattern readwrite clients/%c/#\npattern read apps/%u/in\n")
    c1 = Client(b.port, "c1", V311)
    assert codes(c1.sub("clients/c1/#", 1)) == [1]
    assert codes(c1.sub("clients/c2/#", 1)) == [0x80]
    assert codes(c1.sub("apps/+/in", 1)) == [0x80]  # no username: %u lines do not apply
    c1.pub("clients/c1/x", "mine", qos=1)
    assert c1.get().payload == b"mine"
    app = Client(b.port, "backend-1", V311, username=b.app["accessKeyId"],
                 password=b.app["accessKeySecret"])
    assert codes(app.sub("apps/%s/in" % b.app["accessKeyId"], 0)) == [0]
    # A client id with a wildcard gets nothing when patterns exist.
    assert codes(c1.sub("#", 0)) == [0]  # partly granted: filtered per delivery
    bad = Client(b.port, "x#", V311)
    assert codes(bad.sub("#", 0)) == [0x80]


def test_devices_keep_their_own_rules(acl_broker):
    """The file grants nothing to devices, which still use their topics."""
    b = acl_broker("topic read nothing/here\n")
    cid, user, pw = device_credentials(b.pk, b.dev["deviceName"], b.dev["deviceSecret"])
    d = Client(b.port, cid, V311, username=user, password=pw)
    assert d.rc == 0
    own = "/%s/%s/user/get" % (b.pk, b.dev["deviceName"])
    assert codes(d.sub(own, 1)) == [1]


def test_mosquitto_clients_under_the_file(acl_broker):
    b = acl_broker(MOSQUITTO_STYLE)
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(b.port), "-V",
                            "mqttv5", "-t", "test/#", "-q", "1", "-C", "1", "-W", "10"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    for topic in ("test/nosubscribe", "test/ok"):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(b.port), "-V", "mqttv5",
                        "-t", topic, "-q", "1", "-m", topic], timeout=10)
    out, _ = sub.communicate(timeout=15)
    assert out.strip() == "test/ok"


def test_bad_file_is_refused_at_start_with_its_line(tmp_path):
    path = tmp_path / "bad.acl"
    path.write_text("topic read ok/#\ntopic rw a/b\n")
    p = subprocess.run([binary_path(), "--mqtt", "127.0.0.1:%d" % free_port(), "--data-dir",
                        str(tmp_path / "data"), "--acl-file", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "line 2" in p.stdout + p.stderr, p.stdout + p.stderr
    missing = subprocess.run([binary_path(), "--mqtt", "127.0.0.1:%d" % free_port(),
                              "--data-dir", str(tmp_path / "data"), "--acl-file",
                              os.path.join(str(tmp_path), "nope.acl")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0
    assert "nope.acl" in missing.stdout + missing.stderr
