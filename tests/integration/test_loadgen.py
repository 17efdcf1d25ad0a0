"""The load generator (build/tools/loadgen/loadgen, Release) against the
broker under test: the paths bench/compare --quick does not take -- TLS,
MQTT over WebSocket (ws and wss), QoS 2, MQTT 5, several fan-in subscribers, topic patterns, signed device
CONNECTs from a CSV, source-address spreading, Alink property posts (the
thing scenario), RRPC round trips through the admin API (the rrpc scenario) -- and its refusals of bad arguments. Each run must account for every message: received == sent x
receivers, no loss, no duplicates."""
import json
import os
import subprocess

import pytest

from adminapi import admin_api
from conftest import ROOT, Broker, binary_path, cli, free_port

LOADGEN = os.path.join(ROOT, "build", "tools", "loadgen", "loadgen")


@pytest.fixture(autouse=True)
def _loadgen_built():
    # tools/test builds the Release tree (build/) before these tests run.
    assert os.access(LOADGEN, os.X_OK), "build/tools/loadgen/loadgen missing: build Release first"


def loadgen(port, *args, timeout=60):
    """Runs loadgen with --json; returns (exit code, result dict or None, stderr)."""
    p = subprocess.run([LOADGEN, "--port", str(port), "--json", "--quiet", *args],
                       capture_output=True, text=True, timeout=timeout)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, json.loads(lines[-1]) if lines else None, p.stderr


def assert_complete(r, receivers):
    assert r["error"] is None, r
    assert r["sent"] > 0
    assert r["lost"] == 0 and r["duplicates"] == 0, r
    assert r["received"] == r["sent"] * receivers, r
    assert r["drained"] is True
    assert 0 < r["p50_us"] <= r["p99_us"] <= r["max_us"], r


@pytest.fixture
def tls_broker(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    cli(str(tmp_path / "b" / "data"), "cert", "dev", "--out", str(certs))
    tls_port, wss_port = free_port(), free_port()
    b = Broker(tmp_path / "b", ("--mqtts", "127.0.0.1:%d" % tls_port,
                                "--wss", "127.0.0.1:%d" % wss_port, "--tls-cert",
                                str(certs / "cert.pem"), "--tls-key", str(certs / "key.pem"),
                                "--max-connect-rate", "0", "--device-connect-rate", "1000",
                                "--log-level", "info"))
    b.tls_port, b.wss_port, b.ca = tls_port, wss_port, str(certs / "cert.pem")
    yield b
    code = b.stop()
    text = b.log_text()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert code == 0, text[-4000:]


def test_tls_p2p_qos2_every_message_once(tls_broker):
    b = tls_broker
    rc, r, err = loadgen(b.tls_port, "--tls-ca", b.ca, "--scenario", "p2p", "--clients", "20",
                         "--qos", "2", "--duration", "1", "--broker-pid", str(b.pid()))
    assert rc == 0, err
    assert r["tls"] is True and r["qos"] == 2 and r["subscribers"] == 20
    assert_complete(r, 1)
    assert r["broker_cpu_s"] is not None and r["broker_rss_kib"] > 0


def test_websocket_p2p_qos1_loses_nothing(tls_broker):
    # MQTT over WebSocket (masked binary frames, one per write batch) against
    # the broker's /mqtt listener: every message once, at QoS 1.
    b = tls_broker
    rc, r, err = loadgen(b.ws_port, "--transport", "ws", "--scenario", "p2p", "--clients", "50",
                         "--qos", "1", "--duration", "1.5", "--broker-pid", str(b.pid()))
    assert rc == 0, err
    assert r["transport"] == "ws" and r["tls"] is False and r["subscribers"] == 50
    assert_complete(r, 1)


def test_secure_websocket_fan_in_mqtt5_qos1(tls_broker):
    b = tls_broker
    rc, r, err = loadgen(b.wss_port, "--transport", "wss", "--tls-ca", b.ca, "--scenario",
                         "fan-in", "--clients", "20", "--qos", "1", "--mqtt-version", "5",
                         "--payload", "3000", "--duration", "1")
    assert rc == 0, err
    assert r["transport"] == "wss" and r["tls"] is True
    assert_complete(r, 1)


def test_websocket_upgrade_refused_on_a_wrong_path(tls_broker):
    rc, r, _ = loadgen(tls_broker.ws_port, "--transport", "ws", "--ws-path", "/nope",
                       "--scenario", "fan-in", "--clients", "2", "--duration", "1")
    assert rc == 2
    assert "404" in r["error"], r


def test_tls_refuses_an_untrusted_broker_certificate(tls_broker, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    cli(str(tmp_path / "o" / "data"), "cert", "dev", "--out", str(other))
    rc, r, err = loadgen(tls_broker.tls_port, "--tls-ca", str(other / "cert.pem"),
                         "--scenario", "fan-in", "--clients", "2", "--duration", "1")
    assert rc == 2
    assert "certificate verify failed" in r["error"], r


def test_mqtt5_fan_in_to_several_subscribers_with_a_topic_pattern(tls_broker):
    b = tls_broker
    rc, r, err = loadgen(b.port, "--scenario", "fan-in", "--clients", "30", "--subscribers",
                         "3", "--qos", "1", "--mqtt-version", "5", "--topic",
                         "lg/%i/data", "--duration", "1")
    assert rc == 0, err
    assert r["mqtt_version"] == 5 and r["subscribers"] == 3
    assert_complete(r, 3)


def test_shared_group_and_paced_rate(tls_broker):
    b = tls_broker
    rc, r, err = loadgen(b.port, "--scenario", "shared", "--clients", "20", "--subscribers",
                         "3", "--qos", "1", "--duration", "2", "--rate", "500")
    assert rc == 0, err
    assert_complete(r, 1)
    assert r["rate_target"] == 500
    # Paced: about 1,000 messages in 2 s (not as many as the window allows).
    assert 700 <= r["sent"] <= 1100, r


def test_progress_lines_and_drain(tls_broker):
    # --progress: one line per second on stderr (the JSON stays on stdout).
    p = subprocess.run([LOADGEN, "--port", str(tls_broker.port), "--json", "--progress",
                        "--scenario", "fan-out", "--clients", "5", "--qos", "1",
                        "--duration", "2.5", "--drain", "1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stderr.splitlines() if "received" in l and "/s" in l]
    assert len(lines) >= 2, p.stderr
    assert "\r" not in p.stderr, "not a terminal: plain lines"
    assert_complete(json.loads(p.stdout.splitlines()[-1]), 5)


def test_idle_signed_devices_from_a_csv_over_spread_source_addresses(tls_broker, tmp_path):
    b = tls_broker
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "load_1")
    out = subprocess.run([binary_path(), "device", "create", "--product", p["productKey"],
                          "--count", "50", "--csv", "--data-dir", b.data_dir],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    csv = tmp_path / "devices.csv"
    csv.write_text(out)
    assert len(out.strip().splitlines()) >= 50
    rc, r, err = loadgen(b.port, "--scenario", "idle", "--clients", "50", "--device-auth",
                         str(csv), "--duration", "2", "--keep-alive", "30",
                         "--source-addresses", "3", "--broker-pid", str(b.pid()))
    assert rc == 0, err
    assert r["signed"] is True and r["connected"] == 50 and r["refused"] == 0, r
    assert r["dropped"] == 0 and r["rss_per_conn_bytes"] is not None, r


def thing_devices(b, tmp_path, count):
    """A product with tests/data/lamp-tsl.json and `count` devices; their CSV."""
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "thing_load")
    pk = p["productKey"]
    cli(b.data_dir, "thing-model", "import", "--product", pk,
        os.path.join(ROOT, "tests", "data", "lamp-tsl.json"))
    out = subprocess.run([binary_path(), "device", "create", "--product", pk,
                          "--count", str(count), "--csv", "--data-dir", b.data_dir],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    csv = tmp_path / "things.csv"
    csv.write_text(out)
    return str(csv)


@pytest.mark.parametrize("qos", [0, 1])
def test_thing_property_posts_are_all_answered(broker_factory, tmp_path, qos):
    # Quotas lifted: the default 30 posts/s per device would drop QoS 0
    # posts (no reply: lost) and answer MQTT 5 QoS 1 with 0x96.
    b = broker_factory("--device-uplink-rate", "0", "--broker-uplink-rate", "0",
                       "--device-connect-rate", "0", "--log-level", "info")
    csv = thing_devices(b, tmp_path, 20)
    rc, r, err = loadgen(b.port, "--scenario", "thing", "--clients", "20", "--qos", str(qos),
                         "--device-auth", csv, "--duration", "1", "--broker-pid", str(b.pid()))
    assert rc == 0, err
    assert r["scenario"] == "thing" and r["subscribers"] == 0 and r["rejected"] == 0, r
    assert_complete(r, 1)
    assert 100 < r["payload"] < 140, r  # the post's JSON, not --payload


def test_thing_rejected_posts_fail_the_run(broker_factory, tmp_path):
    # Weak mode answers 200 but names the finding in data: not a clean post.
    b = broker_factory("--device-uplink-rate", "0", "--log-level", "info")
    csv = thing_devices(b, tmp_path, 2)
    rc, r, _ = loadgen(b.port, "--scenario", "thing", "--clients", "2", "--qos", "1",
                       "--rate", "20", "--device-auth", csv, "--duration", "0.5",
                       "--alink-params", '{"Brightness":101}')
    assert rc == 2
    assert r["rejected"] == r["sent"] > 0 and r["received"] == 0 and r["lost"] == 0, r
    assert "Brightness" in r["first_rejected"], r


def test_rrpc_round_trips_are_all_answered(broker_factory, tmp_path):
    # The quotas bench/rrpc lifts: 50 calls/s per device down, 30 answers/s up.
    b = broker_factory("--device-downlink-rate", "0", "--device-uplink-rate", "0",
                       "--device-connect-rate", "0", "--log-level", "info")
    _, p, _ = cli(b.data_dir, "product", "create", "--name", "rrpc_load")
    out = subprocess.run([binary_path(), "device", "create", "--product", p["productKey"],
                          "--count", "20", "--csv", "--data-dir", b.data_dir],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    csv = tmp_path / "rrpc.csv"
    csv.write_text(out)
    token = admin_api(b).token
    for paced in (False, True):
        rc, r, err = loadgen(b.port, "--scenario", "rrpc", "--clients", "20",
                             "--device-auth", str(csv), "--admin-port", str(b.admin_port),
                             "--token", token, "--http-conns", "4", "--duration", "1",
                             "--broker-pid", str(b.pid()), *(("--rate", "200") if paced else ()))
        assert rc == 0, err
        assert r["error"] is None and r["lost"] == 0 and r["drained"] is True, r
        assert r["calls"] > 0 and r["outcomes"]["SUCCESS"] == r["calls"], r
        assert r["requests_seen"] == r["calls"] and r["unexpected_publishes"] == 0, r
        assert 0 < r["p50_us"] <= r["p99_us"] <= r["max_us"], r
        assert r["broker_cpu_us_per_msg"] is not None, r
        if paced:
            assert r["rate_target"] == 200, r
            assert 150 <= r["calls"] <= 201, r  # 1 s at 200/s, call 0 at once
    # A bad token fails the run at the first answer, not after every call.
    rc, r, _ = loadgen(b.port, "--scenario", "rrpc", "--clients", "2", "--device-auth", str(csv),
                       "--admin-port", str(b.admin_port), "--token", "nope", "--duration", "1")
    assert rc == 2 and "401" in r["error"] and r["outcomes"]["SUCCESS"] == 0, r


def test_a_refused_connection_fails_the_run(tls_broker, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("productKey,deviceName,deviceSecret\n" + "".join(
        "NoSuchProd1,ghost-%d,%s\n" % (i, "0" * 32) for i in range(3)))
    rc, r, _ = loadgen(tls_broker.port, "--scenario", "connect", "--clients", "3",
                       "--device-auth", str(csv), "--hold", "0")
    assert rc == 2
    assert r["connected"] == 0 and r["refused"] == 3 and "CONNACK refused" in r["error"], r


def test_more_connections_than_devices_is_refused(tmp_path):
    csv = tmp_path / "two.csv"
    csv.write_text("pk1,dev-a,%s\npk1,dev-b,%s\n" % ("0" * 32, "1" * 32))
    p = subprocess.run([LOADGEN, "--port", "1", "--scenario", "idle", "--clients", "3",
                        "--device-auth", str(csv)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 64
    assert "fewer than --clients 3" in p.stderr, p.stderr


@pytest.mark.parametrize("args,message", [
    (("--scenario", "fan-in", "--clients", "1", "--host", "10.1.2.3"), "loopback"),
    (("--scenario", "fan-in", "--clients", "1", "--qos", "3"), "--qos"),
    (("--scenario", "storm", "--clients", "1"), "--scenario"),
    (("--scenario", "p2p", "--clients", "2", "--topic", "same/topic"), "%i"),
    (("--scenario", "fan-in", "--clients", "2", "--topic", "a/#"), "wildcards"),
    (("--scenario", "fan-in"), "--clients"),
    (("--scenario", "fan-in", "--clients", "1", "--transport", "quic"), "--transport"),
    (("--scenario", "fan-in", "--clients", "1", "--transport", "ws", "--tls-ca", "x.pem"),
     "TLS transport"),
    (("--scenario", "fan-in", "--clients", "1", "--transport", "ws", "--ws-path", "mqtt"),
     "--ws-path"),
    (("--scenario", "thing", "--clients", "1"), "--device-auth"),
    (("--scenario", "rrpc", "--clients", "1"), "--device-auth"),
    (("--scenario", "rrpc", "--clients", "1", "--device-auth", "x.csv"), "--admin-port"),
])
def test_bad_arguments_are_refused(args, message):
    p = subprocess.run([LOADGEN, "--port", "1", *args], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 64
    assert message in p.stderr, p.stderr
