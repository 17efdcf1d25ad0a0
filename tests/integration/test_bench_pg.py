"""bench/pg (the PostgreSQL sink benchmark) end to end on a few devices: its
own PostgreSQL server, both runs, every post that the rule passed inserted
(--check fails when a run errs or the rows and the action's successes
differ). About 30 s."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from pgserver import PgServer

BENCH = os.path.join(ROOT, "bench", "pg")
IOTBROKER = os.path.join(ROOT, "build", "iotbroker")


@pytest.mark.skipif(PgServer.available() is not None, reason=str(PgServer.available()))
def test_bench_pg_quick_check(tmp_path):
    # tools/test builds the Release tree (build/) before these tests run.
    assert os.access(IOTBROKER, os.X_OK), "build/iotbroker missing: build Release first"
    if not os.path.exists(os.path.join(ROOT, "build", "plugins", "iotb_sink_postgresql.so")):
        pytest.skip("build/plugins/iotb_sink_postgresql.so not built (no libpq)")
    out = tmp_path / "pg.md"
    p = subprocess.run([sys.executable, BENCH, "--quick", "--devices", "50", "--duration", "2",
                        "--no-lock", "--check", "--out", str(out)],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    text = out.read_text()
    assert "| posts → rule → postgresql |" in text, text[:3000]
    assert "## Errors" not in text, text[:3000]
