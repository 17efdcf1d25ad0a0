"""A tiny admin-API client for the tests (urllib only): every call returns
(status, parsed JSON or None, headers), whatever the status."""
import base64
import json
import urllib.error
import urllib.request


class Api:
    def __init__(self, broker, token=None):
        self.broker = broker
        self.token = token

    def call(self, method, path, body=None, token=None, auth=None, raw=None, headers=None,
             timeout=30):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        req = urllib.request.Request(self.broker.admin_url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        tok = token if token is not None else self.token
        if auth is not None:
            req.add_header("Authorization", auth)
        elif tok:
            req.add_header("Authorization", "Bearer " + tok)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout,
                                        context=self.broker.admin_ssl) as r:
                status, text, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read(), e.headers
        try:
            out = json.loads(text) if text else None
        except ValueError:
            out = None
        return status, out, hdrs

    def get(self, path, **kw):
        return self.call("GET", path, **kw)[:2]

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)[:2]

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)[:2]

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)[:2]

    def login(self, username, password):
        status, out = self.post("/api/v1/login", {"username": username, "password": password},
                                token="")
        return status, out


def basic(access_key_id, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (access_key_id, secret)).encode()).decode()


def admin_api(broker):
    """An Api logged in as the initial 'admin'."""
    api = Api(broker)
    status, out = api.login("admin", broker.initial_admin_password())
    assert status == 200, (status, out)
    api.token = out["token"]
    return api
