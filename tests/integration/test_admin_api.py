"""Admin HTTP API (SPEC §12) against the real binary, with urllib: login and
tokens, 401/403/429, products, devices (filters, paging), device log,
applications, the audit log, and the CLI and the API agreeing on the JSON.
Each test states what it proves."""
import os
import stat
import time

import pytest

from adminapi import Api, admin_api, basic
from conftest import cli


@pytest.fixture
def api(broker):
    return admin_api(broker)


@pytest.fixture
def product(api):
    status, p = api.post("/api/v1/products", {"name": "thermo_1"})
    assert status == 201, p
    return p


def make_viewer(broker, api, name="victor", password="viewer-pw-1"):
    cli(broker.data_dir, "admin", "user", "add", "--name", name, "--role", "viewer",
        "--password", password)
    v = Api(broker)
    status, out = v.login(name, password)
    assert status == 200, out
    v.token = out["token"]
    return v


def test_initial_admin_password_file(broker):
    """The first start creates 'admin' with a random password in a 0600 file;
    the log names the file, never the password."""
    path = os.path.join(broker.data_dir, "initial-admin-password")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    password = broker.initial_admin_password()
    assert len(password) >= 16
    assert path in broker.log_text()
    assert password not in broker.log_text()
    _, users, _ = cli(broker.data_dir, "admin", "user", "list")
    assert [(u["name"], u["role"]) for u in users] == [("admin", "admin")]
    assert "password" not in str(users).lower()


def test_login_answers_token_role_expiry(broker):
    """POST /api/v1/login → 200 {token, role, expiresAt ≈ now + 24 h}."""
    api = Api(broker)
    status, out = api.login("admin", broker.initial_admin_password())
    assert status == 200
    assert set(out) == {"token", "role", "expiresAt"}
    assert out["role"] == "admin"
    assert len(out["token"]) == 64 and int(out["token"], 16) >= 0
    now_ms = time.time() * 1000
    assert abs(out["expiresAt"] - (now_ms + 24 * 3600 * 1000)) < 120_000


def test_login_refusals(broker):
    """Wrong password or unknown user → 401 with the error body; a malformed
    body → 400."""
    api = Api(broker)
    status, out = api.login("admin", "wrong")
    assert status == 401 and out["code"] == "unauthorized"
    status, out = api.login("nobody", "x")
    assert status == 401
    status, out = api.post("/api/v1/login", {"username": "admin"})
    assert status == 400 and out["code"] == "bad_field" and "password" in out["message"]
    status, out, _ = api.call("POST", "/api/v1/login", raw=b"{nope")
    assert status == 400 and out["code"] == "bad_json"


def test_every_call_needs_credentials(broker, api):
    """No or bad credentials → 401 everywhere except login."""
    anon = Api(broker)
    for path in ["/api/v1/products", "/api/v1/audit", "/api/v1/apps",
                 "/api/v1/products/x/devices", "/api/v1/products/x/devices/y/log"]:
        status, out = anon.get(path)
        assert status == 401 and out["code"] == "unauthorized", path
    status, out = anon.post("/api/v1/products", {"name": "thermo_1"})
    assert status == 401
    assert api.get("/api/v1/products", token="0" * 64)[0] == 401
    assert api.get("/api/v1/products", auth="Basic " + "x" * 10)[0] == 401


def test_unknown_paths_and_methods(api):
    """404 not_found for unknown paths, 405 with Allow for a known path."""
    status, out = api.get("/api/v1/nothing")
    assert status == 404 and out["code"] == "not_found"
    status, out, headers = api.call("PUT", "/api/v1/products")
    assert status == 405 and out["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET, POST"


def test_products_crud(api):
    """Create (secret once), get, list, patch, delete; 404 afterwards."""
    status, p = api.post("/api/v1/products", {
        "name": "thermo_1", "dynamicRegister": True, "nodeType": "gateway",
        "categories": [{"suffix": "data", "perms": "pub"}]})
    assert status == 201
    pk = p["productKey"]
    assert len(pk) == 11 and len(p["productSecret"]) >= 16
    assert p["dynamicRegister"] is True and p["nodeType"] == "gateway"
    assert p["categories"] == [{"topic": "/%s/${deviceName}/user/data" % pk, "perms": "pub"}]
    status, got = api.get("/api/v1/products/" + pk)
    assert status == 200 and "productSecret" not in got and got["name"] == "thermo_1"
    status, lst = api.get("/api/v1/products")
    assert status == 200 and lst["total"] == 1
    assert "productSecret" not in lst["items"][0]
    status, patched = api.patch("/api/v1/products/" + pk, {
        "name": "renamed_1", "dynamicRegister": False,
        "categories": [{"topic": "/%s/${deviceName}/user/cmd" % pk, "perms": "sub"}]})
    assert status == 200, patched
    assert patched["name"] == "renamed_1" and patched["dynamicRegister"] is False
    assert len(patched["categories"]) == 2
    status, out = api.delete("/api/v1/products/" + pk)
    assert status == 200 and out == {"productKey": pk, "deleted": True}
    assert api.get("/api/v1/products/" + pk)[0] == 404
    assert api.delete("/api/v1/products/" + pk)[0] == 404


def test_product_with_devices_cannot_be_deleted(api, product):
    """DELETE of a product that still has devices → 409 conflict."""
    pk = product["productKey"]
    assert api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})[0] == 201
    status, out = api.delete("/api/v1/products/" + pk)
    assert status == 409 and out["code"] == "conflict"


def test_product_validation(api):
    """Bad names, wrong types and unknown fields → 400 bad_field naming the field."""
    status, out = api.post("/api/v1/products", {"name": "x"})
    assert status == 400 and out["code"] == "bad_field"
    status, out = api.post("/api/v1/products", {"name": 12})
    assert status == 400 and "'name'" in out["message"]
    status, out = api.post("/api/v1/products", {"name": "thermo_1", "colour": "red"})
    assert status == 400 and out["message"] == "unknown field 'colour'"
    status, out = api.post("/api/v1/products", {"name": "thermo_1", "nodeType": "robot"})
    assert status == 400 and "nodeType" in out["message"]


def test_devices_crud_and_secrets_only_at_creation(broker, api, product):
    """Create by name and by count (secrets only there), get, disable, delete."""
    pk = product["productKey"]
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    assert status == 201
    assert set(d) == {"productKey", "deviceName", "deviceSecret"}
    assert len(d["deviceSecret"]) == 32
    status, many = api.post("/api/v1/products/%s/devices" % pk, {"count": 5})
    assert status == 201 and many["total"] == 5 and len(many["items"]) == 5
    assert all(len(x["deviceSecret"]) == 32 for x in many["items"])
    status, dup = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    assert status == 409 and dup["code"] == "exists"
    status, got = api.get("/api/v1/products/%s/devices/dev-0001" % pk)
    assert status == 200 and got["state"] == "inactive" and got["enabled"] is True
    assert "deviceSecret" not in got
    status, lst = api.get("/api/v1/products/%s/devices" % pk)
    assert lst["total"] == 6 and all("deviceSecret" not in x for x in lst["items"])
    status, off = api.patch("/api/v1/products/%s/devices/dev-0001" % pk, {"enabled": False})
    assert status == 200 and off["enabled"] is False
    _, shown, _ = cli(broker.data_dir, "device", "show", "--product", pk, "--name", "dev-0001")
    assert shown == off  # one JSON rendering for the CLI and the API
    status, out = api.delete("/api/v1/products/%s/devices/dev-0001" % pk)
    assert status == 200 and out["deleted"] is True
    assert api.get("/api/v1/products/%s/devices/dev-0001" % pk)[0] == 404
    assert api.get("/api/v1/products/nosuchprod1/devices")[0] == 404
    for body in ({"name": "dev-1", "count": 2}, {"count": 0}, {"count": "3"}, {"enabled": True}):
        status, out = api.post("/api/v1/products/%s/devices" % pk, body)
        assert status == 400 and out["code"] == "bad_field", body


def test_device_paging_and_filters(broker, api, product):
    """?page=&limit= (≤ 1000), ?name= prefix, ?enabled=, ?state=; the total
    counts every match."""
    pk = product["productKey"]
    assert api.post("/api/v1/products/%s/devices" % pk, {"count": 1500})[0] == 201
    for n in ("lamp-0001", "lamp-0002", "lamp-0003"):
        api.post("/api/v1/products/%s/devices" % pk, {"name": n})
    api.patch("/api/v1/products/%s/devices/lamp-0002" % pk, {"enabled": False})
    status, first = api.get("/api/v1/products/%s/devices" % pk)
    assert status == 200 and first["total"] == 1503 and len(first["items"]) == 100
    status, big = api.get("/api/v1/products/%s/devices?limit=1000&page=2" % pk)
    assert status == 200 and len(big["items"]) == 503
    names = [d["deviceName"] for d in big["items"]]
    assert names == sorted(names)
    status, lamps = api.get("/api/v1/products/%s/devices?name=lamp-" % pk)
    assert lamps["total"] == 3
    assert [d["deviceName"] for d in lamps["items"]] == ["lamp-0001", "lamp-0002", "lamp-0003"]
    status, page2 = api.get("/api/v1/products/%s/devices?name=lamp-&limit=2&page=2" % pk)
    assert page2["total"] == 3 and [d["deviceName"] for d in page2["items"]] == ["lamp-0003"]
    status, off = api.get("/api/v1/products/%s/devices?enabled=false" % pk)
    assert off["total"] == 1 and off["items"][0]["deviceName"] == "lamp-0002"
    status, inactive = api.get("/api/v1/products/%s/devices?state=inactive&limit=1" % pk)
    assert inactive["total"] == 1503
    assert api.get("/api/v1/products/%s/devices?state=online" % pk)[1]["total"] == 0
    for q in ("limit=1001", "limit=0", "page=0", "state=sleepy", "enabled=maybe"):
        status, out = api.get("/api/v1/products/%s/devices?%s" % (pk, q))
        assert status == 400 and out["code"] == "bad_request", q


def test_device_log(broker, api, product):
    """GET …/log pages the device log, newest first."""
    pk = product["productKey"]
    status, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    from devices import device_credentials
    from mqttc import Client
    cid, user, pw = device_credentials(pk, "dev-0001", d["deviceSecret"])
    c = Client(broker.port, cid, username=user, password=pw)
    assert c.rc == 0
    c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status, log = api.get("/api/v1/products/%s/devices/dev-0001/log" % pk)
        if status == 200 and log["total"] >= 2:
            break
        time.sleep(0.1)
    assert status == 200 and log["total"] >= 2, log
    assert log["items"][0]["seq"] > log["items"][-1]["seq"]
    assert {"seq", "timeMs", "kind", "text", "clientIp"} <= set(log["items"][0])
    assert d["deviceSecret"] not in str(log)
    assert api.get("/api/v1/products/%s/devices/nobody/log" % pk)[0] == 404


def test_apps_and_basic_credentials(broker, api, product):
    """Apps: create (secret once), list (no secrets); Basic auth sees only its
    products and may change them only with the 'write' scope."""
    pk = product["productKey"]
    _, other = api.post("/api/v1/products", {"name": "other_1"})
    status, ro = api.post("/api/v1/apps", {"name": "backend", "products": [pk]})
    assert status == 201 and len(ro["accessKeySecret"]) >= 16
    status, rw = api.post("/api/v1/apps", {"name": "writer", "products": [pk],
                                          "scopes": ["write"]})
    assert status == 201
    status, lst = api.get("/api/v1/apps")
    assert lst["total"] == 2 and all("accessKeySecret" not in a for a in lst["items"])
    assert api.post("/api/v1/apps", {"products": ["nosuchprod1"]})[0] == 404
    assert api.post("/api/v1/apps", {"products": "x"})[0] == 400

    ro_auth = basic(ro["accessKeyId"], ro["accessKeySecret"])
    status, mine = api.get("/api/v1/products", auth=ro_auth)
    assert status == 200 and [p["productKey"] for p in mine["items"]] == [pk]
    assert api.get("/api/v1/products/%s/devices" % pk, auth=ro_auth)[0] == 200
    assert api.get("/api/v1/products/%s" % other["productKey"], auth=ro_auth)[0] == 403
    status, out = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"},
                           auth=ro_auth)
    assert status == 403 and out["code"] == "forbidden"
    rw_auth = basic(rw["accessKeyId"], rw["accessKeySecret"])
    assert api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"},
                    auth=rw_auth)[0] == 201
    assert api.post("/api/v1/products/%s/devices" % other["productKey"], {"name": "dev-0001"},
                    auth=rw_auth)[0] == 403
    assert api.post("/api/v1/products", {"name": "thermo_2"}, auth=rw_auth)[0] == 403
    assert api.get("/api/v1/products", auth=basic(ro["accessKeyId"], "wrong"))[0] == 401
    status, apps = api.get("/api/v1/apps", auth=ro_auth)
    assert [a["accessKeyId"] for a in apps["items"]] == [ro["accessKeyId"]]


def test_viewer_reads_but_may_not_change(broker, api, product):
    """A viewer gets 200 on reads and 403 on every change; the refusals are
    audited."""
    pk = product["productKey"]
    viewer = make_viewer(broker, api)
    assert viewer.get("/api/v1/products")[0] == 200
    assert viewer.get("/api/v1/products/%s/devices" % pk)[0] == 200
    for method, path, body in [
            ("POST", "/api/v1/products", {"name": "thermo_2"}),
            ("PATCH", "/api/v1/products/" + pk, {"name": "thermo_3"}),
            ("DELETE", "/api/v1/products/" + pk, None),
            ("POST", "/api/v1/products/%s/devices" % pk, {"name": "dev-0001"}),
            ("PATCH", "/api/v1/products/%s/devices/dev-0001" % pk, {"enabled": False}),
            ("DELETE", "/api/v1/products/%s/devices/dev-0001" % pk, None),
            ("POST", "/api/v1/apps", {"products": [pk]})]:
        status, out, _ = viewer.call(method, path, body)
        assert status == 403 and out["code"] == "forbidden", (method, path)
    assert viewer.get("/api/v1/audit")[0] == 403
    _, audit = api.get("/api/v1/audit?limit=1000")
    refused = [e for e in audit["items"] if e["who"] == "user:victor"]
    assert len(refused) == 7 and all(e["result"] == 403 for e in refused)


def test_audit_log_records_changes(api, product):
    """Every change: who, what, target, address, result, time; newest first,
    paged; reads are not audited; no secret in it."""
    pk = product["productKey"]
    _, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    api.patch("/api/v1/products/%s/devices/dev-0001" % pk, {"enabled": False})
    api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})  # 409
    api.get("/api/v1/products")
    status, audit = api.get("/api/v1/audit")
    assert status == 200 and audit["total"] == 4
    newest = audit["items"][0]
    assert newest["result"] == 409 and newest["who"] == "user:admin"
    assert newest["action"] == "POST /api/v1/products/%s/devices" % pk
    assert newest["address"] == "127.0.0.1" and newest["timeMs"] > 0
    patch = audit["items"][1]
    assert patch["action"].startswith("PATCH") and patch["target"] == pk + "/dev-0001"
    assert audit["items"][-1]["action"] == "POST /api/v1/products"
    assert audit["items"][-1]["target"] == pk
    assert d["deviceSecret"] not in str(audit) and product["productSecret"] not in str(audit)
    status, page = api.get("/api/v1/audit?limit=2&page=2")
    assert page["total"] == 4 and [e["seq"] for e in page["items"]] == [2, 1]


def test_cli_changes_are_seen_by_the_api(broker, api, product):
    """The CLI and the API work on the same registry, and the API's changes
    are visible to the CLI at once."""
    pk = product["productKey"]
    cli(broker.data_dir, "device", "create", "--product", pk, "--name", "dev-cli1")
    assert api.get("/api/v1/products/%s/devices/dev-cli1" % pk)[0] == 200
    api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-api1"})
    _, listed, _ = cli(broker.data_dir, "device", "list", "--product", pk)
    assert {d["deviceName"] for d in listed} == {"dev-cli1", "dev-api1"}
    _, shown, _ = cli(broker.data_dir, "product", "show", "--product", pk)
    assert shown == api.get("/api/v1/products/" + pk)[1]


def test_disabled_device_is_kicked(broker, api, product):
    """PATCH {"enabled": false} disconnects a connected device (the broker
    follows the registry change feed)."""
    from devices import device_credentials
    from mqttc import Client
    pk = product["productKey"]
    _, d = api.post("/api/v1/products/%s/devices" % pk, {"name": "dev-0001"})
    cid, user, pw = device_credentials(pk, "dev-0001", d["deviceSecret"])
    c = Client(broker.port, cid, username=user, password=pw)
    assert api.patch("/api/v1/products/%s/devices/dev-0001" % pk, {"enabled": False})[0] == 200
    assert c.rc == 0
    c.disconnects.get(timeout=5)  # raises queue.Empty if the device stayed connected


def test_cli_user_changes_reach_the_running_broker(broker, api):
    """`admin user passwd` and `delete` (another process) end the user's
    tokens at once; the old password stops working."""
    w = make_viewer(broker, api, "walter", "first-pw-1")
    assert w.get("/api/v1/products")[0] == 200
    cli(broker.data_dir, "admin", "user", "passwd", "--name", "walter", "--password",
        "second-pw-2")
    assert w.get("/api/v1/products")[0] == 401
    assert Api(broker).login("walter", "first-pw-1")[0] == 401
    status, out = Api(broker).login("walter", "second-pw-2")
    assert status == 200
    w.token = out["token"]
    cli(broker.data_dir, "admin", "user", "delete", "--name", "walter")
    assert w.get("/api/v1/products")[0] == 401
    assert Api(broker).login("walter", "second-pw-2")[0] == 401


def test_admin_port_in_use_is_a_clean_start_failure(tmp_path):
    """The admin listener cannot bind: the broker says which address and
    exits 1 (it once crashed tearing the half-made server down)."""
    import socket
    import subprocess
    from conftest import binary_path, free_port
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        p = subprocess.run([binary_path(), "--mqtt", "127.0.0.1:%d" % free_port(),
                            "--ws", "127.0.0.1:0", "--wss", "127.0.0.1:0",
                            "--admin", "127.0.0.1:%d" % port,
                            "--data-dir", str(tmp_path / "data")],
                           capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert str(port) in out, out
    assert "runtime error" not in out and "AddressSanitizer" not in out, out


def test_users_api(broker, api):
    """The users endpoints do what `iotbroker admin user` does: add (201,
    the password never echoed), list, set a password (the old tokens die),
    delete; 400 for a bad role or a short password, 409 for a name taken
    and for deleting the last admin; viewers get 403 except on their own
    password; every change is in the audit log without the password."""
    status, u = api.post("/api/v1/users", {"name": "olga", "role": "viewer",
                                           "password": "olga-pass-1"})
    assert status == 201 and u["name"] == "olga" and u["role"] == "viewer", u
    assert "password" not in str(u) and "olga-pass-1" not in str(u)
    assert api.post("/api/v1/users", {"name": "olga", "role": "viewer",
                                      "password": "olga-pass-1"})[0] == 409
    status, e = api.post("/api/v1/users", {"name": "x", "role": "root", "password": "12345678"})
    assert status == 400 and "role" in e["message"], e
    status, e = api.post("/api/v1/users", {"name": "x", "role": "viewer", "password": "short"})
    assert status == 400 and "8 characters" in e["message"], e
    status, e = api.post("/api/v1/users", {"name": "bad name!", "role": "viewer",
                                           "password": "12345678"})
    assert status == 400, e
    status, lst = api.get("/api/v1/users")
    assert status == 200 and lst["total"] == 2
    assert sorted(x["name"] for x in lst["items"]) == ["admin", "olga"]

    olga = Api(broker)
    status, out = olga.login("olga", "olga-pass-1")
    assert status == 200
    olga.token = out["token"]
    assert olga.get("/api/v1/users")[0] == 403
    assert olga.post("/api/v1/users", {"name": "y", "role": "admin",
                                       "password": "12345678"})[0] == 403
    assert olga.call("PUT", "/api/v1/users/admin/password", {"password": "stolen-pw-1"})[0] == 403
    # Her own password: allowed; the token she used dies with the change.
    status, _, _ = olga.call("PUT", "/api/v1/users/olga/password", {"password": "olga-pass-2"})
    assert status == 200
    assert olga.get("/api/v1/products")[0] == 401
    assert olga.login("olga", "olga-pass-1")[0] == 401
    assert olga.login("olga", "olga-pass-2")[0] == 200

    status, e = api.delete("/api/v1/users/admin")
    assert status == 409 and "last admin" in e["message"], e
    assert api.delete("/api/v1/users/olga") == (200, {"name": "olga", "deleted": True})
    assert api.delete("/api/v1/users/olga")[0] == 404
    assert olga.login("olga", "olga-pass-2")[0] == 401

    status, audit = api.get("/api/v1/audit?limit=50")
    actions = [a["action"] for a in audit["items"]]
    assert "POST /api/v1/users" in actions and "DELETE /api/v1/users/olga" in actions, actions
    assert "PUT /api/v1/users/olga/password" in actions, actions
    assert "olga-pass" not in str(audit) and "stolen-pw" not in str(audit)
