"""GET /api/v1/ws (SPEC §12), driven with Debian's python3-websockets: the
token in the header or the query, metrics every second with the same
figures as /metrics, the message trace with topic/client/device filters and
payload modes, device events, bad commands, and a slow viewer that never
slows MQTT (frames dropped and counted)."""
import asyncio
import json
import socket
import time
import urllib.request

import pytest
import websockets
import websockets.exceptions

from adminapi import admin_api
from conftest import cli
from devices import device_credentials
from mqttc import V311, Client


def ws_url(broker, token=None):
    url = "ws://127.0.0.1:%d/api/v1/ws" % broker.admin_port
    return url + ("?token=" + token if token else "")


async def frames_until(ws, pred, timeout=5.0):
    got = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            f = json.loads(await asyncio.wait_for(ws.recv(), max(0.05, end - time.monotonic())))
        except asyncio.TimeoutError:
            break
        got.append(f)
        if pred(f):
            return f, got
    return None, got


def test_needs_a_token(broker):
    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect(ws_url(broker)):
                pass
        assert e.value.status_code == 401
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect(ws_url(broker, "0" * 64)):
                pass
        assert e.value.status_code == 401
    asyncio.run(go())


def test_metrics_every_second(broker):
    api = admin_api(broker)

    async def go():
        async with websockets.connect(
                ws_url(broker), extra_headers={"Authorization": "Bearer " + api.token}) as ws:
            await ws.send(json.dumps({"subscribe": "metrics"}))
            ok, _ = await frames_until(ws, lambda f: f["type"] == "ok")
            assert ok["subscribe"] == "metrics"
            c = Client(broker.port, "live-m", V311)
            c.pub("x/y", b"1", 0)
            t0 = time.monotonic()
            first, _ = await frames_until(ws, lambda f: f["type"] == "metrics", 3)
            second, _ = await frames_until(ws, lambda f: f["type"] == "metrics", 3)
            assert first and second and 0.5 < time.monotonic() - t0 < 4
            v = second["values"]
            assert v['iotbroker_connections{listener="mqtt"}'] == 1
            assert v["iotbroker_messages_received_total"] >= 1
            # The session store's gauges, as in /metrics.
            assert 0 < v["iotbroker_store_used_bytes"] <= v["iotbroker_store_max_bytes"]
    asyncio.run(go())


def test_metrics_frames_carry_the_rules_figures(broker):
    """The frames carry what /metrics does, the rules engine's per-rule
    counters included (the console's overview and metrics pages read them)."""
    api = admin_api(broker)
    status, rule = api.post("/api/v1/rules", {
        "name": "live-r", "sql": 'SELECT * FROM "live-r/#"',
        "actions": [{"type": "republish", "topic": "live-r-out/x"}]})
    assert status == 201, rule
    key = 'iotbroker_rule_matched_total{rule="%s"}' % rule["id"]
    scrape = urllib.request.urlopen(broker.admin_url("/metrics"), timeout=10).read().decode()
    assert key in scrape and "iotbroker_store_used_bytes" in scrape

    async def go():
        async with websockets.connect(ws_url(broker, api.token)) as ws:
            await ws.send(json.dumps({"subscribe": "metrics"}))
            Client(broker.port, "live-r-pub", V311).pub("live-r/1", b"{}", 1)
            f, _ = await frames_until(
                ws, lambda f: f["type"] == "metrics" and f["values"].get(key, 0) >= 1, 5)
            assert f, "no metrics frame counted the rule's match"
    asyncio.run(go())


def test_trace_filters_and_payload_modes(broker):
    api = admin_api(broker)
    _, p, _ = cli(broker.data_dir, "product", "create", "--name", "lamp_1")
    pk = p["productKey"]
    _, d, _ = cli(broker.data_dir, "device", "create", "--product", pk, "--name", "lamp-0001")

    async def go():
        async with websockets.connect(ws_url(broker, api.token)) as all_ws, \
                websockets.connect(ws_url(broker, api.token)) as dev_ws, \
                websockets.connect(ws_url(broker, api.token)) as cid_ws:
            await all_ws.send(json.dumps({"subscribe": "trace", "topic": "t/#", "payload": "hex"}))
            await dev_ws.send(json.dumps({"subscribe": "trace", "device": pk + "/lamp-0001",
                                          "payload": "hidden"}))
            await cid_ws.send(json.dumps({"subscribe": "trace", "clientId": "tracer-b"}))
            for ws in (all_ws, dev_ws, cid_ws):
                assert (await frames_until(ws, lambda f: f["type"] == "ok"))[0]
            a = Client(broker.port, "tracer-a", V311)
            b = Client(broker.port, "tracer-b", V311)
            a.pub("t/1", b"AB", 1)
            b.pub("other/2", b"hello", 0)
            cid, user, pw = device_credentials(pk, "lamp-0001", d["deviceSecret"])
            dev = Client(broker.port, cid, V311, username=user, password=pw)
            dev.pub("/%s/lamp-0001/user/update" % pk, b"secret-ish", 0)
            f, _ = await frames_until(all_ws, lambda f: f["type"] == "trace")
            assert (f["topic"], f["payload"], f["clientId"], f["qos"], f["direction"]) == (
                "t/1", "4142", "tracer-a", 1, "in")
            assert int(f["messageId"]) > 0
            f, got = await frames_until(dev_ws, lambda f: f["type"] == "trace"
                                        and f["topic"].endswith("/user/update"))
            assert f and "payload" not in f and f["payloadSize"] == 10
            assert all(g.get("topic", "").startswith("/") for g in got if g["type"] == "trace")
            f, got = await frames_until(cid_ws, lambda f: f["type"] == "trace")
            assert (f["topic"], f["payload"]) == ("other/2", "hello")
            assert not [g for g in got if g.get("clientId") == "tracer-a"]
    asyncio.run(go())


def test_trace_text_of_a_binary_payload_keeps_the_socket(broker):
    """A payload that is not UTF-8, traced as text: each bad byte is U+FFFD
    and the frame says "binary"; the text frame stays valid UTF-8, so the
    viewer's socket (which checks, as browsers do) keeps receiving."""
    api = admin_api(broker)

    async def go():
        async with websockets.connect(ws_url(broker, api.token)) as ws:
            await ws.send(json.dumps({"subscribe": "trace", "topic": "bin/#"}))
            assert (await frames_until(ws, lambda f: f["type"] == "ok"))[0]
            c = Client(broker.port, "binary-pub", V311)
            c.pub("bin/1", b"\xff\x00ok\xc3", 1)
            c.pub("bin/2", "caf\u00e9".encode(), 1)
            f, _ = await frames_until(ws, lambda f: f["type"] == "trace")
            assert (f["topic"], f["payload"], f.get("binary")) == (
                "bin/1", "\ufffd\x00ok\ufffd", True)
            f, _ = await frames_until(ws, lambda f: f["type"] == "trace")
            assert (f["topic"], f["payload"], f.get("binary")) == ("bin/2", "caf\u00e9", None)
    asyncio.run(go())


def test_trace_rate_cap(broker):
    """"maxRate" caps a trace's frames a second (default 1,000); the rest
    are counted in a "dropped" frame, never formatted; a bad maxRate is
    refused with an error frame."""
    api = admin_api(broker)

    async def go():
        async with websockets.connect(ws_url(broker, api.token)) as ws:
            for bad in (0, 10001, "5", -1):
                await ws.send(json.dumps({"subscribe": "trace", "maxRate": bad}))
                f, _ = await frames_until(ws, lambda f: f["type"] in ("ok", "error"))
                assert f["type"] == "error" and "maxRate" in f["message"], (bad, f)
            await ws.send(json.dumps({"subscribe": "trace", "topic": "capped/#", "maxRate": 5}))
            assert (await frames_until(ws, lambda f: f["type"] == "ok"))[0]
            c = Client(broker.port, "capped-pub", V311)
            for i in range(60):
                c.pub("capped/%d" % i, b"x", 1)
            traces, dropped = 0, 0
            end = time.monotonic() + 4
            while time.monotonic() < end and traces + dropped < 60:
                f, _ = await frames_until(ws, lambda f: True, timeout=0.5)
                if f and f["type"] == "trace":
                    traces += 1
                elif f and f["type"] == "dropped":
                    dropped += f["count"]
            # 60 messages in well under two seconds: at most two windows of 5.
            assert 1 <= traces <= 10 and traces + dropped == 60, (traces, dropped)
    asyncio.run(go())


def test_events_and_bad_commands(broker):
    api = admin_api(broker)
    status, p = api.post("/api/v1/products", {"name": "evt_1"})
    pk = p["productKey"]

    async def go():
        async with websockets.connect(ws_url(broker, api.token)) as ws:
            await ws.send("not json")
            err, _ = await frames_until(ws, lambda f: f["type"] == "error")
            assert err
            await ws.send(json.dumps({"subscribe": "nothing"}))
            assert (await frames_until(ws, lambda f: f["type"] == "error"))[0]
            await ws.send(json.dumps({"subscribe": "events"}))
            assert (await frames_until(ws, lambda f: f["type"] == "ok"))[0]
            status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "evt-0001"})
            assert status == 201
            f, _ = await frames_until(ws, lambda f: f["type"] == "event")
            assert (f["event"], f["deviceName"]) == ("created", "evt-0001")
            cid, user, pw = device_credentials(pk, "evt-0001", d["deviceSecret"])
            dev = Client(broker.port, cid, V311, username=user, password=pw)
            f, _ = await frames_until(ws, lambda f: f.get("event") == "online")
            assert f["productKey"] == pk and f["deviceName"] == "evt-0001"
            dev.close()
            f, _ = await frames_until(ws, lambda f: f.get("event") == "offline")
            assert f
            api.call("PATCH", "/api/v1/products/%s/devices/evt-0001" % pk, {"enabled": False})
            f, _ = await frames_until(ws, lambda f: f.get("event") == "disabled")
            assert f
    asyncio.run(go())


def test_slow_viewer_never_slows_mqtt(broker):
    api = admin_api(broker)

    async def go():
        # A small receive buffer, so the broker's side fills up at once.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.connect(("127.0.0.1", broker.admin_port))
        ws = await websockets.connect(ws_url(broker, api.token), sock=s, max_queue=1,
                                      read_limit=1024, write_limit=1024)
        await ws.send(json.dumps({"subscribe": "trace", "topic": "flood/#"}))
        await asyncio.sleep(0.3)
        sub = Client(broker.port, "flood-sub", V311)
        sub.sub("flood/#", 0)
        pub = Client(broker.port, "flood-pub", V311)
        t0 = time.monotonic()
        n = 5000
        for i in range(n):
            pub.c.publish("flood/x", b"p" * 1000, 0)
        got = 0
        while got < n and sub.none(wait=5) is not None:
            got += 1
        elapsed = time.monotonic() - t0
        assert got >= n * 0.98, got  # MQTT delivery is not held back by the viewer
        assert elapsed < 30
        # Now read: the viewer learns how many frames it missed.
        f, got = await frames_until(ws, lambda f: f["type"] == "dropped", 15)
        assert f and f["count"] > 0, (len(got), got[:2], got[-2:])
        await ws.close()
    asyncio.run(go())
