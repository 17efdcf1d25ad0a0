"""Sink plugins in the running broker: --plugin-dir, GET /api/v1/plugins
(what loaded and why the rest did not) and the `iotbroker plugins` CLI.
The plugins are the ones built beside the binary (<build>/plugins)."""
import json
import os
import subprocess

from adminapi import Api, admin_api
from conftest import binary_path


def build_plugins():
    return os.path.join(os.path.dirname(os.path.abspath(binary_path())), "plugins")


def built_sinks():
    """The sink names built beside the binary: file, http, and postgresql
    when libpq was found at configure time."""
    names = {"iotb_sink_file.so": "file", "iotb_sink_http.so": "http",
             "iotb_sink_postgresql.so": "postgres"}
    return sorted(n for f, n in names.items() if os.path.exists(os.path.join(build_plugins(), f)))


def junk_dir(tmp_path):
    d = tmp_path / "junk"
    d.mkdir()
    (d / "x.so").write_text("not a shared library\n")
    (d / "readme.txt").write_text("not even named like one\n")
    return str(d)


def test_plugins_endpoint_lists_loaded_and_failed(broker_factory, tmp_path):
    junk = junk_dir(tmp_path)
    b = broker_factory("--plugin-dir", "%s:%s:%s" % (build_plugins(), junk, tmp_path / "absent"))
    status, _ = Api(b).get("/api/v1/plugins")
    assert status == 401
    status, out = admin_api(b).get("/api/v1/plugins")
    assert status == 200, out
    names = [p["name"] for p in out["items"]]
    assert names == built_sinks(), out
    item = out["items"][0]
    assert item["abi"] == 1 and item["version"] and item["description"]
    assert item["file"].endswith("/iotb_sink_file.so")
    assert out["items"][1]["file"].endswith("/iotb_sink_http.so")
    assert len(out["errors"]) == 1, out
    assert out["errors"][0]["file"].endswith("/x.so")
    assert "dlopen failed" in out["errors"][0]["error"]
    log = b.log_text()
    assert "loaded sink 'file'" in log
    assert "loaded sink 'http'" in log
    assert "sink plugins: %d loaded, 1 skipped" % len(names) in log


def test_plugins_cli_creates_a_sink(tmp_path):
    out_file = tmp_path / "out.jsonl"
    p = subprocess.run([binary_path(), "plugins", "--plugin-dir", build_plugins(), "--sink", "file",
                        "--config", json.dumps({"path": str(out_file), "fsync": "always"})],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert [i["name"] for i in json.loads(p.stdout)["items"]] == built_sinks()
    assert "configuration accepted" in p.stderr
    assert out_file.exists()
    p = subprocess.run([binary_path(), "plugins", "--plugin-dir", build_plugins(), "--sink", "file",
                        "--config", '{"path":"%s","fsync":"sometimes"}' % out_file],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "fsync: expected" in p.stderr
    p = subprocess.run([binary_path(), "plugins", "--plugin-dir", junk_dir(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "dlopen failed" in json.loads(p.stdout)["errors"][0]["error"]
