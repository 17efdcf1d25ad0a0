"""bench/shadow (the device-shadow memory benchmark) end to end on a few
devices: its own MQTT client connects them signed with _ss=1, each shadow
gets one update and its reply, the idle-stop run ends with no live shadow
actor and the no-stop run with one per device, and the documents read back
through the admin API (--check fails otherwise). About 20 s."""
import os
import subprocess
import sys

from conftest import ROOT

BENCH = os.path.join(ROOT, "bench", "shadow")
IOTBROKER = os.path.join(ROOT, "build", "iotbroker")


def test_bench_shadow_quick_check(tmp_path):
    # tools/test builds the Release tree (build/) before these tests run.
    assert os.access(IOTBROKER, os.X_OK), "build/iotbroker missing: build Release first"
    out = tmp_path / "shadow.md"
    p = subprocess.run([sys.executable, BENCH, "--quick", "--devices", "300", "--no-lock",
                        "--check", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    text = out.read_text()
    assert "| idle-stop | 2 | 300 |" in text, text[:3000]
    assert "| no-stop | 86400 | 300 |" in text, text[:3000]
    assert "300 / 0 |" in text and "100/100 v1" in text, text[:3000]
