"""A throwaway PostgreSQL server for tests and benchmarks (the postgresql
sink plugin, SPEC §9): initdb into a temp directory, TLS on with a
self-signed certificate made by the `openssl` CLI, TCP on 127.0.0.1 at a
free port accepting only TLS (`hostssl`, SCRAM passwords), a Unix socket in
the same directory for the test's own `psql` (trust), and a role and
database for the broker.

PostgreSQL refuses to run as root: when we are root, the server's programs
run as the `postgres` OS user (runuser) and the directory is theirs.

    pg = PgServer.start()            # or PgServer.available() first
    pg.psql("CREATE TABLE t (a int)")
    pg.conninfo()                    # host=127.0.0.1 port=... sslmode=require
    pg.restart(); pg.stop()
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

USER = "iot"
PASSWORD = "iot-secret"
DB = "iot"


def bindir():
    """The newest PostgreSQL server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A running server; stop() (or the context manager) removes it."""

    @staticmethod
    def available():
        """None when a server can be started here, else why not."""
        if bindir() is None:
            return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin: apt install postgresql)"
        if shutil.which("openssl") is None:
            return "no openssl CLI to make the server's certificate"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser"
        return None

    @classmethod
    def start(cls, settings=None, plain_tcp=False):
        """Starts a server; `settings` are extra postgresql.conf lines;
        `plain_tcp` also accepts TCP without TLS (for a broker that cannot
        isolate libpq's OpenSSL: sanitizer builds)."""
        s = cls()
        try:
            s._init(settings or {}, plain_tcp)
            s._pg_ctl("start", "-l", s.log_path, "-o", "-k " + s.dir)
            s.psql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (USER, PASSWORD), db="postgres",
                   user="postgres")
            s.psql("CREATE DATABASE %s OWNER %s" % (DB, USER), db="postgres", user="postgres")
        except BaseException:
            s.stop()
            raise
        return s

    def __init__(self):
        self.bin = bindir()
        # Not under pytest's tmp_path: its parents are root's, mode 0700.
        self.dir = tempfile.mkdtemp(prefix="iotb-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        self.started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self, args, **kw):
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(prefix + args, capture_output=True, text=True, timeout=120, **kw)

    def _init(self, settings, plain_tcp):
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        p = self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres",
                       "-A", "trust", "-E", "UTF8", "--no-sync"])
        if p.returncode != 0:
            raise RuntimeError("initdb failed: " + p.stderr[-2000:])
        crt, key = os.path.join(self.data, "server.crt"), os.path.join(self.data, "server.key")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("openssl req failed: " + p.stderr[-2000:])
        os.chmod(key, 0o600)
        if self.as_postgres:
            for f in (crt, key):
                shutil.chown(f, "postgres", "postgres")
        conf = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                "unix_socket_directories": "'%s'" % self.dir, "ssl": "on",
                "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'",
                "max_connections": "30", "shared_buffers": "32MB", "fsync": "off",
                "logging_collector": "off"}
        conf.update(settings)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        # TCP only with TLS and a password; the socket (this test's psql) trusted.
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "hostssl all all 127.0.0.1/32 scram-sha-256\n")
            if plain_tcp:
                f.write("hostnossl all all 127.0.0.1/32 scram-sha-256\n")

    def _pg_ctl(self, *args):
        p = self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60", *args])
        if p.returncode != 0:
            raise RuntimeError("pg_ctl %s failed: %s\n%s" % (args[0], p.stderr[-2000:],
                                                             self.server_log()[-3000:]))
        self.started = args[0] in ("start", "restart")

    def conninfo(self, sslmode="require", **extra):
        """A libpq connection string for the broker's role."""
        parts = {"host": "127.0.0.1", "port": self.port, "dbname": DB, "user": USER,
                 "password": PASSWORD, "sslmode": sslmode}
        parts.update(extra)
        return " ".join("%s=%s" % kv for kv in parts.items())

    def psql(self, sql, db=DB, user=USER):
        """Runs `sql` over the Unix socket; returns the rows (lists of
        strings, '|' separated columns split)."""
        p = subprocess.run([os.path.join(self.bin, "psql"), "-h", self.dir, "-p", str(self.port),
                            "-U", user, "-d", db, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                            "-c", sql], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql[:300], p.stderr[-2000:]))
        return [line.split("|") for line in p.stdout.splitlines() if line]

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None

    def stop(self, mode="fast"):
        """Stops the server and removes its directory."""
        if self.started:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-m", mode,
                       "stop"])
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def halt(self, mode="fast"):
        """Stops the server, keeping its data (start() it again with resume)."""
        self._pg_ctl("stop", "-m", mode)

    def resume(self):
        self._pg_ctl("start", "-l", self.log_path, "-o", "-k " + self.dir)

    def restart(self, mode="fast"):
        self._pg_ctl("restart", "-m", mode, "-l", self.log_path, "-o", "-k " + self.dir)

    def server_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except RuntimeError:
                time.sleep(0.1)
        raise TimeoutError("PostgreSQL not ready after %d s" % timeout)
