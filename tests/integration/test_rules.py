"""The rules engine in the running broker (SPEC §9; issue 12): rules made
through the admin API and the CLI, SQL errors at creation with line and
column, republish (device to device), the file sink plugin, a failing sink
whose records reach the error action, per-rule and per-action metrics in
the API and /metrics, enable/disable/delete, rules surviving a restart, and
POST /api/v1/rules/test without side effects."""
import json
import os
import subprocess
import urllib.request

import pytest

from adminapi import admin_api
from conftest import Broker, binary_path
from mqttc import V311, Client
from waiting import wait_for


def plugin_dirs():
    build = os.path.dirname(os.path.abspath(binary_path()))
    return "%s:%s" % (os.path.join(build, "plugins"), os.path.join(build, "tests", "plugins"))


@pytest.fixture
def env(broker_factory):
    b = broker_factory("--plugin-dir", plugin_dirs(), "--allow-anonymous")
    return {"broker": b, "api": admin_api(b)}


def create(e, body, expect=201):
    status, out = e["api"].post("/api/v1/rules", body)
    assert status == expect, (status, out)
    return out


def metrics(e, rid):
    status, out = e["api"].get("/api/v1/rules/%s/metrics" % rid)
    assert status == 200, out
    return out


def test_republish_filters_and_projects(env):
    r = create(env, {"name": "hot", "sql": 'SELECT t AS temp, upper(site) AS site '
                                           'FROM "sensors/+/data" WHERE t > 38',
                     "actions": [{"type": "republish", "topic": "alerts/${site}", "qos": 1}]})
    assert r["id"] and r["enabled"] is True and r["metrics"]["state"] == "running", r
    sub = Client(env["broker"].port, "watcher")
    sub.sub("alerts/#", 1)
    pub = Client(env["broker"].port, "sensor")
    pub.pub("sensors/a/data", json.dumps({"t": 30, "site": "north"}), 1)
    pub.pub("sensors/a/data", json.dumps({"t": 40, "site": "north"}), 1)
    pub.pub("sensors/a/data", b"not json", 1)  # fields missing: WHERE is null
    pub.pub("sensors/a/data", b'{"t":' + b"[" * 70 + b"]" * 70 + b"}", 1)  # too deep: exception
    m = sub.get(timeout=10)
    assert m.topic == "alerts/NORTH"
    assert json.loads(m.payload) == {"temp": 40, "site": "NORTH"}
    assert sub.none(0.5) is None
    got = wait_for(lambda: metrics(env, r["id"])["matched"] == 4 and metrics(env, r["id"]))
    assert got["passed"] == 1 and got["noResult"] == 2 and got["exception"] == 1, got
    assert got["failed"] == 3
    assert got["actions"][0]["success"] == 1, got
    text = urllib.request.urlopen(env["broker"].admin_url("/metrics"), timeout=5).read().decode()
    assert 'iotbroker_rule_matched_total{rule="%s"} 4' % r["id"] in text, text[-3000:]


def test_sql_errors_and_bad_actions_are_refused_at_creation(env):
    status, out = env["api"].post("/api/v1/rules", {
        "name": "bad", "sql": 'SELECT a\nFROM "x" WHERE nosuchfn(a) > 1', "actions": []})
    assert status == 400 and "line 2" in out["message"] and "column" in out["message"], out
    status, out = env["api"].post("/api/v1/rules", {
        "name": "bad", "sql": 'SELECT * FROM "x"', "actions": [{"type": "nosuchsink"}]})
    assert status == 400 and "nosuchsink" in out["message"], out
    status, out = env["api"].post("/api/v1/rules", {
        "name": "bad", "sql": 'SELECT * FROM "x"', "actions": [{"type": "republish"}]})
    assert status == 400 and "topic" in out["message"], out
    ors = " OR ".join("a = %d" % i for i in range(10000))
    status, out = env["api"].post("/api/v1/rules", {
        "name": "huge", "sql": 'SELECT * FROM "x" WHERE ' + ors, "actions": []})
    assert status == 400 and "sql" in out["message"], out
    hostile = {
        "deep nesting": 'SELECT * FROM "x" WHERE ' + "(" * 100 + "a" + ")" * 100 + " > 1",
        "huge literal": "SELECT '" + "x" * 20000 + "' AS s FROM \"x\"",
        "huge statement": 'SELECT a FROM "x" WHERE ' + " " * 70000 + "a > 1",
        "huge number": 'SELECT ' + "9" * 100 + ' AS n FROM "x"',
    }
    for what, sql in hostile.items():
        status, out = env["api"].post("/api/v1/rules", {"name": "h", "sql": sql, "actions": []})
        assert status == 400 and "sql" in out["message"], (what, status, out)
    assert env["broker"].proc.poll() is None
    status, out = env["api"].get("/api/v1/rules")
    assert out["total"] == 0


def test_file_sink_and_error_action(env, tmp_path):
    path = str(tmp_path / "out.jsonl")
    errors = str(tmp_path / "errors.jsonl")
    ok = create(env, {"name": "to-file",
                      "sql": 'SELECT n, topic() AS t, clientId() AS c FROM "data/#"',
                      "actions": [{"type": "file", "path": path}]})
    bad = create(env, {"name": "dropper", "sql": 'SELECT n FROM "data/#"',
                       "actions": [{"type": "scripted", "statuses": ["drop"]}],
                       "errorAction": {"type": "file", "path": errors}})
    pub = Client(env["broker"].port, "producer")
    for i in range(20):
        pub.pub("data/x", json.dumps({"n": i}), 1)

    def lines(p):
        try:
            with open(p) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []
    assert wait_for(lambda: len(lines(path)) == 20), lines(path)
    first = lines(path)[0]
    assert first.get("n") == 0 or first.get("output", {}).get("n") == 0, first
    out = first.get("output", first)
    assert out["c"] == "producer" and out["t"] == "data/x", first
    assert wait_for(lambda: len(lines(errors)) == 20), lines(errors)
    rec = lines(errors)[0]
    rec = rec.get("output", rec)
    assert rec["rule"] == bad["id"] and rec["actionType"] == "scripted", rec
    assert rec["payloadBase64"] and rec["messageId"], rec
    m = metrics(env, bad["id"])
    assert m["actions"][0]["failed"] == 20 and m["errorRecords"] == 20, m
    assert metrics(env, ok["id"])["actions"][0]["success"] == 20


def test_enable_disable_delete_and_test_endpoint(env):
    r = create(env, {"name": "echo", "sql": 'SELECT * FROM "in/t"',
                     "actions": [{"type": "republish", "topic": "out/t"}]})
    sub = Client(env["broker"].port, "w")
    sub.sub("out/t", 0)
    pub = Client(env["broker"].port, "p")
    status, out = env["api"].patch("/api/v1/rules/%s" % r["id"], {"enabled": False})
    assert status == 200 and out["enabled"] is False, out
    pub.pub("in/t", b"{}", 0)
    assert sub.none(0.5) is None
    status, out = env["api"].patch("/api/v1/rules/%s" % r["id"], {"enabled": True})
    assert status == 200
    pub.pub("in/t", b'{"a":1}', 0)
    assert json.loads(sub.get(timeout=10).payload) == {"a": 1}
    status, out = env["api"].post("/api/v1/rules/test", {
        "sql": 'SELECT a * 2 AS b FROM "in/+" WHERE a > 0', "topic": "in/t",
        "payload": '{"a":21}'})
    assert status == 200 and out["matched"] is True and out["output"] == {"b": 42}, out
    status, out = env["api"].post("/api/v1/rules/test", {
        "sql": 'SELECT a FROM "in/+" WHERE a > 0', "topic": "in/t", "payload": '{"a":0}'})
    assert status == 200 and out["matched"] is False and out["result"] == "no_result", out
    assert sub.none(0.3) is None  # the test published nothing
    assert env["api"].delete("/api/v1/rules/%s" % r["id"])[0] == 204
    pub.pub("in/t", b"{}", 0)
    assert sub.none(0.5) is None
    assert env["api"].get("/api/v1/rules/%s" % r["id"])[0] == 404


def test_rules_survive_a_restart_and_the_cli(tmp_path):
    b = Broker(tmp_path / "run", ["--plugin-dir", plugin_dirs(), "--allow-anonymous"])
    try:
        api = admin_api(b)

        def cli(*args):
            return subprocess.run([binary_path(), "rule", *args, "--admin", b.admin_url(),
                                   "--token", api.token], capture_output=True, text=True,
                                  timeout=30)
        p = cli("create", "--name", "c1", "--sql", 'SELECT * FROM "a/b"',
                "--actions", '[{"type":"republish","topic":"c/d"}]')
        assert p.returncode == 0, p.stdout + p.stderr
        rid = json.loads(p.stdout)["id"]
        p = cli("test", "--sql", 'SELECT x FROM "a/b"', "--topic", "a/b", "--payload", '{"x":1}')
        assert p.returncode == 0 and json.loads(p.stdout)["output"] == {"x": 1}, p.stdout
        p = cli("create", "--name", "c2", "--sql", "SELECT FROM", "--actions", "[]")
        assert p.returncode == 1 and "line 1" in json.loads(p.stdout)["message"], p.stdout
        assert cli("disable", "--id", rid).returncode == 0
        assert cli("enable", "--id", rid).returncode == 0
        assert json.loads(cli("list").stdout)["total"] == 1
    finally:
        assert b.stop() == 0
    b = Broker(tmp_path / "run", ["--plugin-dir", plugin_dirs(), "--allow-anonymous"])
    try:
        sub = Client(b.port, "w")
        sub.sub("c/d", 0)
        Client(b.port, "p").pub("a/b", b'{"k":1}', 0)
        assert json.loads(sub.get(timeout=10).payload) == {"k": 1}
    finally:
        assert b.stop() == 0
