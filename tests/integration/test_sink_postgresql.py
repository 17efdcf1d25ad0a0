"""The postgresql sink plugin (SPEC §9) against a real PostgreSQL server that
the test starts (tests/pgserver.py: TLS only on TCP, `sslmode=require`):
rows with the column mapping and a TLS session seen by the server; the
crash isolation of libpq's OpenSSL 3 from the broker's BoringSSL (on the
Release binary: sanitizer builds load plugins without RTLD_DEEPBIND); a
server restarted while devices publish (every acknowledged QoS 1 message
becomes a row); a bad row dropped to the error action while the rest of
its batch is inserted; configuration errors refused at rule creation.

Skipped only when the PostgreSQL server binaries (or the plugin) are
missing. A sanitizer build (tools/test's ASan binary) loads plugins without
RTLD_DEEPBIND, so libpq's OpenSSL calls would reach the broker's BoringSSL:
against such a binary the sink's tests connect with `sslmode=disable` (the
server then accepts plain TCP too) and TLS is proved on the Release binary
(test_libpq_openssl3_is_isolated_from_boringssl)."""
import json
import os
import threading
import time

import pytest

from adminapi import admin_api
from conftest import ROOT, Broker, binary_path
from mqttc import Client
from pgserver import PgServer
from waiting import wait_for

PG_MISSING = PgServer.available()
pytestmark = pytest.mark.skipif(PG_MISSING is not None, reason=str(PG_MISSING))


def build_dir(binary):
    return os.path.dirname(os.path.abspath(binary))


def plugin_dirs(binary):
    b = build_dir(binary)
    return "%s:%s" % (os.path.join(b, "plugins"), os.path.join(b, "tests", "plugins"))


def has_pg_plugin(binary):
    return os.path.exists(os.path.join(build_dir(binary), "plugins", "iotb_sink_postgresql.so"))


def sanitizer_build(binary):
    """True for an ASan/UBSan or TSan binary (they load plugins without
    RTLD_DEEPBIND, registry.hpp): their runtimes' entry symbols are in it."""
    with open(binary, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


# The tested binary's sslmode: TLS unless libpq's OpenSSL is not isolated.
SANITIZER = os.access(binary_path(), os.R_OK) and sanitizer_build(binary_path())
SSLMODE = "disable" if SANITIZER else "require"


@pytest.fixture(scope="module")
def pg():
    with PgServer.start(plain_tcp=SANITIZER) as server:
        yield server


@pytest.fixture
def env(broker_factory):
    if not has_pg_plugin(binary_path()):
        pytest.skip("iotb_sink_postgresql.so not built beside %s (no libpq)" % binary_path())
    b = broker_factory("--plugin-dir", plugin_dirs(binary_path()), "--allow-anonymous")
    return {"broker": b, "api": admin_api(b)}


_tables = [0]


def table(pg, columns):
    """A fresh table (name returned) with the given column definitions."""
    _tables[0] += 1
    name = "t%d_%d" % (os.getpid(), _tables[0])
    pg.psql("CREATE TABLE %s (%s)" % (name, columns))
    return name


def create_rule(api, body, expect=201):
    status, out = api.post("/api/v1/rules", body)
    assert status == expect, (status, out)
    return out


def metrics(api, rid):
    status, out = api.get("/api/v1/rules/%s/metrics" % rid)
    assert status == 200, out
    return out


def count(pg, name):
    return int(pg.scalar("SELECT count(*) FROM %s" % name))


def test_rows_with_the_column_mapping_over_tls(env, pg):
    t = table(pg, "temp double precision, site text, meta jsonb, topic text, dn text, "
                  "mid numeric, at timestamptz, ms bigint, whole jsonb, absent text")
    r = create_rule(env["api"], {
        "name": "to-pg", "sql": 'SELECT temp, meta.site AS site, meta FROM "pg/+/data"',
        "actions": [{"type": "postgres", "conninfo": pg.conninfo(SSLMODE),
                     "table": "public." + t,
                     "columns": {"temp": "temp", "site": "site", "meta": "meta",
                                 "topic": "$topic", "dn": "$deviceName", "mid": "$messageId",
                                 "at": "$timestamp", "ms": "$timestampMs", "whole": "$output",
                                 "absent": "nosuchfield"}}]})
    pub = Client(env["broker"].port, "sensor")
    for i in range(30):
        pub.pub("pg/%d/data" % (i % 3), json.dumps({"temp": 20.5 + i,
                                                      "meta": {"site": "s%d" % i, "k": [i]}}), 1)
    assert wait_for(lambda: count(pg, t) == 30, timeout=20), count(pg, t)
    rows = pg.psql("SELECT temp, site, meta::text, topic, mid IS NOT NULL, "
                   "abs(extract(epoch FROM (now() - at))) < 300, ms > 0, whole->>'site', "
                   "absent IS NULL FROM %s ORDER BY temp" % t)
    assert rows[0] == ["20.5", "s0", '{"k": [0], "site": "s0"}', "pg/0/data", "t", "t", "t",
                       "s0", "t"], rows[0]
    assert [r[1] for r in rows] == ["s%d" % i for i in range(30)]
    assert int(pg.scalar("SELECT count(DISTINCT mid) FROM %s" % t)) == 30
    # The broker's session is TLS (a Release broker: the server accepts no
    # other on TCP), or plain TCP for a sanitizer build (see the top).
    ssl = pg.psql("SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a "
                  "USING (pid) WHERE a.application_name = 'iotbroker'")
    assert ssl, "the broker's session is not in pg_stat_activity"
    m = metrics(env["api"], r["id"])
    assert m["actions"][0]["success"] == 30, m
    log = env["broker"].log_text()
    if SANITIZER:
        assert all(row[0] == "f" for row in ssl), ssl
        assert "connected to 127.0.0.1:%d db iot, no TLS" % pg.port in log
        return
    assert all(row[0] == "t" for row in ssl), ssl
    assert ssl[0][1].startswith("TLSv1."), ssl
    assert "connected to 127.0.0.1:%d db iot, TLSv1." % pg.port in log


def release_binary():
    """The Release binary to prove the isolation with: the tested one, or,
    when that is a sanitizer build, build/iotbroker beside its build tree
    (tools/test builds both). Returns (path, None) or (None, why not)."""
    tested = os.path.abspath(binary_path())
    candidates = [tested, os.path.join(os.path.dirname(build_dir(tested)), "build", "iotbroker"),
                  os.path.join(ROOT, "build", "iotbroker")]
    for c in candidates:
        if os.access(c, os.X_OK) and not sanitizer_build(c) and has_pg_plugin(c) and \
                os.path.isdir(os.path.join(build_dir(c), "tests", "plugins", "tls")):
            return c, None
    return None, ("%s is a sanitizer build (plugins load without RTLD_DEEPBIND) and no Release "
                  "build with the postgresql and tls_probe plugins was found (%s)"
                  % (tested, ", ".join(candidates[1:])))


def test_libpq_openssl3_is_isolated_from_boringssl(pg, tmp_path, monkeypatch):
    """SPEC §9 "Crash isolation": the Release broker (RTLD_DEEPBIND) runs a
    TLS session to PostgreSQL through libpq with OpenSSL 3 and BoringSSL
    both mapped, and a plugin's OpenSSL calls reach OpenSSL 3."""
    binary, why = release_binary()
    if binary is None:
        pytest.skip(why)
    monkeypatch.setenv("IOTB_BINARY", binary)
    rel = build_dir(binary)
    dirs = "%s:%s" % (os.path.join(rel, "plugins"), os.path.join(rel, "tests", "plugins", "tls"))
    b = Broker(tmp_path / "release", ["--plugin-dir", dirs, "--allow-anonymous"])
    try:
        api = admin_api(b)
        status, out = api.get("/api/v1/plugins")
        assert status == 200, out
        by_name = {p["name"]: p for p in out["items"]}
        # The probe links libcrypto.so.3: with DEEPBIND its OpenSSL_version_num
        # is OpenSSL 3's (0x3...), without it BoringSSL's (0x1010107f).
        assert by_name["tls_probe"]["description"].startswith("OpenSSL_version_num=0x3"), by_name
        assert "postgres" in by_name, by_name
        t = table(pg, "n int, mid numeric")
        create_rule(api, {"name": "iso", "sql": 'SELECT n FROM "iso/t"',
                          "actions": [{"type": "postgres", "conninfo": pg.conninfo(),
                                       "table": t, "columns": {"n": "n", "mid": "$messageId"}}]})
        pub = Client(b.port, "iso")
        for i in range(5):
            pub.pub("iso/t", json.dumps({"n": i}), 1)
        assert wait_for(lambda: count(pg, t) == 5, timeout=20), count(pg, t)
        ssl = pg.psql("SELECT s.ssl, s.version, s.cipher FROM pg_stat_ssl s JOIN "
                      "pg_stat_activity a USING (pid) WHERE a.application_name = 'iotbroker'")
        assert ssl and ssl[0][0] == "t", ssl
        with open("/proc/%d/maps" % b.pid()) as f:
            maps = f.read()
        assert "/libssl.so.3" in maps and "/libcrypto.so.3" in maps, "OpenSSL 3 (libpq's) mapped"
        assert "/android/libssl.so" in maps and "/android/libcrypto.so" in maps, \
            "BoringSSL (the broker's) mapped"
        log = b.log_text()
        assert "without RTLD_DEEPBIND" not in log
        assert "connected to 127.0.0.1:%d db iot, TLSv1." % pg.port in log
        assert b.alive()
    finally:
        code = b.stop()
    assert code == 0, b.log_text()[-3000:]


def test_server_restart_mid_stream_loses_no_acknowledged_message(env, pg):
    t = table(pg, "seq int, mid numeric")
    r = create_rule(env["api"], {
        "name": "restart", "sql": 'SELECT seq FROM "rs/+"',
        "actions": [{"type": "postgres", "conninfo": pg.conninfo(SSLMODE), "table": t,
                     "connectTimeoutSeconds": 2,
                     "columns": {"seq": "seq", "mid": "$messageId"}}]})
    acked, stop = [], threading.Event()

    def publish():
        c = Client(env["broker"].port, "rs-pub")
        seq = 0
        while not stop.is_set():
            info = c.pub("rs/a", json.dumps({"seq": seq}), 1)
            if info.is_published():
                acked.append(seq)
            seq += 1
            time.sleep(0.002)

    th = threading.Thread(target=publish)
    th.start()
    try:
        assert wait_for(lambda: count(pg, t) > 50, timeout=20)
        pg.halt("fast")
        time.sleep(2)
        pg.resume()
        before = len(acked)
        assert wait_for(lambda: len(acked) > before + 100, timeout=20)
    finally:
        stop.set()
        th.join(timeout=30)
    want = set(acked)
    assert len(want) > 200, len(want)

    def got():
        return {int(row[0]) for row in pg.psql("SELECT DISTINCT seq FROM %s" % t)}
    assert wait_for(lambda: want <= got(), timeout=40), sorted(want - got())[:20]
    # Each message is one row per broker message id (a retry after a lost
    # answer could repeat one: the same id, counted once).
    assert int(pg.scalar("SELECT count(DISTINCT mid) FROM %s" % t)) == len(got())
    m = metrics(env["api"], r["id"])
    assert m["actions"][0]["retried"] > 0, m  # the outage was seen
    assert m["actions"][0]["failed"] == 0, m
    assert "connection lost" in env["broker"].log_text() or \
        "cannot connect" in env["broker"].log_text()


def test_a_bad_row_is_dropped_to_the_error_action_and_the_rest_inserted(env, pg, tmp_path):
    t = table(pg, "n int NOT NULL, mid numeric")
    errors = str(tmp_path / "errors.jsonl")
    r = create_rule(env["api"], {
        "name": "bad-row", "sql": 'SELECT n FROM "bad/t"',
        "actions": [{"type": "postgres", "conninfo": pg.conninfo(SSLMODE), "table": t,
                     "columns": {"n": "n", "mid": "$messageId"}}],
        "errorAction": {"type": "file", "path": errors}})
    pub = Client(env["broker"].port, "bad")
    # A burst: the first record opens the connection (TLS, SCRAM) while the
    # rest queue, so the bad ones share a batch with good ones.
    for i in range(60):
        n = "not a number" if i == 30 else (None if i == 45 else i)
        pub.pub("bad/t", json.dumps({"n": n}), 1)

    def lines():
        try:
            with open(errors) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
    assert wait_for(lambda: len(lines()) == 2, timeout=20), lines()
    recs = [rec.get("output", rec) for rec in lines()]
    texts = sorted(rec["error"] for rec in recs)
    assert "invalid input syntax for type integer" in texts[0], texts
    assert "null value in column \"n\"" in texts[1], texts
    assert all(rec["actionType"] == "postgres" and rec["rule"] == r["id"] for rec in recs)
    assert wait_for(lambda: count(pg, t) == 58, timeout=20), count(pg, t)
    m = wait_for(lambda: (lambda m: m["actions"][0]["success"] == 58 and m)(
        metrics(env["api"], r["id"])))
    assert m and m["actions"][0]["failed"] == 2, metrics(env["api"], r["id"])


def test_configuration_errors_refuse_the_rule(env, pg):
    good = {"type": "postgres", "conninfo": pg.conninfo(SSLMODE), "table": "x",
            "columns": {"a": "a"}}
    cases = [
        ({k: v for k, v in good.items() if k != "table"}, "table: required"),
        ({k: v for k, v in good.items() if k != "columns"}, "columns: required"),
        (dict(good, batchSize=10), "unknown key 'batchSize'"),
        (dict(good, columns={"a": "$nope"}), "unknown '$nope'"),
        (dict(good, conninfo="host=127.0.0.1 nosuch=1"), "conninfo: invalid connection option"),
    ]
    for action, why in cases:
        status, out = env["api"].post("/api/v1/rules", {"name": "bad", "sql": 'SELECT a FROM "x"',
                                                        "actions": [action]})
        assert status == 400, (action, out)
        assert why in out["message"] and "bad configuration" in out["message"], out
        assert out["message"].startswith("actions[0]"), out
    status, out = env["api"].get("/api/v1/rules")
    assert out["total"] == 0, out
    # A server that is down does not refuse the rule: the sink connects later.
    down = dict(good, conninfo=pg.conninfo(SSLMODE, port=1))
    create_rule(env["api"], {"name": "later", "sql": 'SELECT a FROM "x"', "actions": [down]})
