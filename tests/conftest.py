"""Shared pytest fixtures: start the real iotbroker binary on a free
loopback port with a temporary data directory, and stop it afterwards.

The binary is $IOTB_BINARY (tools/test points it at the ASan build) or
build/iotbroker. Run with Debian's /usr/bin/python3 (it has paho-mqtt).
"""
import os
import signal
import socket
import subprocess
import time

import pytest

import mqttc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n):
    """n distinct free ports: all n sockets are bound at once, so the kernel
    cannot hand out the same port twice (free_port() called n times can)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_ready(log_path, offset, proc, timeout=30.0):
    """Waits for the broker's "ready" line written after offset in its log:
    every listener is then bound by this process. A connect to a port alone
    can reach another test's broker when the two picked the same port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, "rb") as f:
            f.seek(offset)
            if b" ready (io threads" in f.read():
                return
        if proc.poll() is not None:
            raise RuntimeError("broker exited early with %s" % proc.returncode)
        time.sleep(0.02)
    raise TimeoutError("broker did not log ready within %.0f s" % timeout)


class Broker:
    """A running broker process."""

    def __init__(self, tmp_path, extra_args=()):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.data_dir = str(tmp_path / "data")
        self.log_path = str(tmp_path / "broker.log")
        self.log = open(self.log_path, "ab")
        # A free port can be taken by another test process between
        # free_port() and the broker's bind (tools/test runs two shards at
        # once): a start that fails on a port in use is tried again on new
        # ports.
        for attempt in range(3):
            try:
                self._start(extra_args)
                return
            except RuntimeError:
                with open(self.log_path, "rb") as f:
                    in_use = b"in use" in f.read()[-4000:]
                if attempt == 2 or not in_use:
                    raise

    def _start(self, extra_args):
        # The admin API on its own free port, so that parallel brokers never
        # collide on the default 18083 (a test may still pass --admin).
        self.port, self.ws_port, self.admin_port = free_ports(3)
        binary = os.environ.get("IOTB_BINARY", os.path.join(ROOT, "build", "iotbroker"))
        # Every listener on a free port (or off), so brokers never collide;
        # extra_args come last and override.
        self.args = [binary, "--mqtt", "127.0.0.1:%d" % self.port,
                     "--ws", "127.0.0.1:%d" % self.ws_port, "--wss", "127.0.0.1:0",
                     "--admin", "127.0.0.1:%d" % self.admin_port,
                     "--data-dir", self.data_dir, "--log-level", "debug", *extra_args]
        self.log.flush()
        offset = os.path.getsize(self.log_path)
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)
        wait_ready(self.log_path, offset, self.proc)

    # An ssl.SSLContext when the admin listener speaks HTTPS (--admin-tls).
    admin_ssl = None

    def admin_url(self, path=""):
        scheme = "https" if self.admin_ssl else "http"
        return "%s://127.0.0.1:%d%s" % (scheme, self.admin_port, path)

    def initial_admin_password(self):
        """The password of 'admin', written at the first start."""
        with open(os.path.join(self.data_dir, "initial-admin-password")) as f:
            return f.read().strip()

    def pid(self):
        return self.proc.pid

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, timeout=30):
        """SIGTERM, wait, and return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("broker did not stop within %d s on SIGTERM" % timeout)
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    code = b.stop()
    text = b.log_text()
    assert "ERROR: AddressSanitizer" not in text, text[-4000:]
    assert "runtime error:" not in text, text[-4000:]
    assert code == 0, "broker exit code %s\n%s" % (code, text[-4000:])


@pytest.fixture
def broker_factory(tmp_path):
    """Start brokers with extra arguments: broker_factory("--max-packet-size", "1000")."""
    started = []

    def make(*args):
        b = Broker(tmp_path / ("b%d" % len(started)), args)
        started.append(b)
        return b

    yield make
    for b in started:
        code = b.stop()
        text = b.log_text()
        assert "ERROR: AddressSanitizer" not in text, text[-4000:]
        assert code == 0, "broker exit code %s\n%s" % (code, text[-4000:])


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    mqttc.close_all()


def binary_path():
    return os.environ.get("IOTB_BINARY", os.path.join(ROOT, "build", "iotbroker"))


def cli(data_dir, *args, check=True):
    """Runs `iotbroker <args> --data-dir DIR`; returns (exit code, JSON or None, stderr)."""
    import json
    p = subprocess.run([binary_path(), *args, "--data-dir", data_dir],
                       capture_output=True, text=True, timeout=60)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    if check:
        assert p.returncode == 0, "iotbroker %s failed (%d): %s" % (args, p.returncode, p.stderr)
    return p.returncode, out, p.stderr
