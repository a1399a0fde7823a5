"""`penna bench`: the quick run works end to end and its outputs are well formed; the figure
arithmetic is right. The benchmark's numbers themselves are not asserted (benchmarks are not
tests, and this machine is shared); only that each figure was measured and is coherent."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from penna.bench.figures import Figure, p95, percentile, table

FIGURE_KEYS = {"index_vok_cold", "index_vok_reopen", "index_synthetic_cold", "context_p95", "update", "throughput",
               "ttft_second", "ttft_listed", "ttft_typed_at_once", "ttft_typed_after_3000ms", "ttft_warm",
               "ttft_restart", "expand_vs_plain", "requests_p95",
               "requests_vok", "hover_first", "cancel", "rss", "rss_model"}


def test_percentiles_interpolate_like_numpy() -> None:
    samples = [float(x) for x in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert p95(samples) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0
    assert math.isnan(p95([]))
    assert percentile([1, 2, 3, 4, float("nan")], 50) == 2.5  # NaN samples are left out (eval's intervals)
    assert math.isnan(percentile([float("nan")], 50))


def test_figure_status_follows_its_check() -> None:
    assert Figure("a", "a", "s", "max", 0.02, value=0.019).status == "pass"
    assert Figure("a", "a", "s", "max", 0.02, value=0.021).status == "miss"
    ratio = Figure("b", "b", "s", "ratio_max", 0.15, value=1.0, reference_value=10.0)
    assert ratio.ratio == pytest.approx(0.1) and ratio.status == "pass"
    assert Figure("c", "c", "tok/s", "ratio_min", 0.95, value=9.0, reference_value=10.0).status == "miss"
    assert Figure("d", "d", "s", "report", value=1.0).status == "report"
    assert Figure("e", "e", "s", "max", 1.0, skipped="no data").status == "skipped"
    text = table([Figure("x", "index cold", "s", "max", 10.0, "≤ 10 s", 2.5, reference="read", reference_value=0.5)])
    assert "index cold" in text and "2.50 s" in text and "5.00" in text and "pass" in text


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.model
@pytest.mark.e2e
@pytest.mark.timeout(960)  # above the run's own 900 s limit, so a hang reports its stderr
def test_quick_bench_runs_and_writes_table_json_and_png(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    run = subprocess.run([sys.executable, "-m", "penna", "bench", "--quick", "--out", str(out), "--work", str(work)],
                         capture_output=True, text=True, env=env, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]

    data = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert data["quick"] is True and data["command"].startswith("penna bench")
    figures = {f["key"]: f for f in data["figures"]}
    assert set(figures) >= FIGURE_KEYS, FIGURE_KEYS - set(figures)
    for key, figure in figures.items():
        assert figure["status"] in ("pass", "miss", "report", "skipped"), key
        if key in ("index_vok_cold", "index_vok_reopen", "requests_vok"):
            assert figure["status"] == "skipped" and figure["skipped"]  # real vaults: full runs only
            continue
        assert figure["status"] != "skipped", f"{key} was not measured: {figure['skipped']}"
        assert isinstance(figure["value"], (int, float)) and figure["value"] > 0, key
        if figure["reference"]:
            assert figure["reference_value"] and figure["ratio"] == pytest.approx(
                figure["value"] / figure["reference_value"]), key
    # The figures that rest on repeated samples carry them, and the statistic matches them.
    requests = figures["requests_p95"]
    assert len(requests["samples"]) >= 20 and requests["value"] == pytest.approx(p95(requests["samples"]))
    hover = figures["hover_first"]  # one fresh paragraph per note, each hovered once
    assert len(hover["samples"]) >= 2 and hover["value"] == pytest.approx(p95(hover["samples"]))
    assert hover["p50"] <= hover["value"] and hover["reference_samples"]
    assert figures["rss_model"]["value"] > figures["rss"]["value"]  # loading the model costs memory
    assert figures["ttft_second"]["reference_value"] > 0 and figures["cancel"]["samples"]
    assert figures["ttft_listed"]["samples"] and figures["ttft_listed"]["reference"] == "first action cold"
    for typed in ("ttft_typed_at_once", "ttft_typed_after_3000ms"):  # expands asked in the editor after typing bullets
        assert figures[typed]["samples"] and figures[typed]["reference_value"] > 0, typed
    restarts = data["details"]["model"]["restarted"]  # the prefix an earlier server kept was loaded from disk
    assert restarts and all(r["state_loaded"] and r["reused_tokens"] > 0 for r in restarts)
    assert all(v for v in data["distributions"].values()), "an empty latency distribution"

    for figure in data["figures"]:  # every figure is a row of the table on stdout
        assert figure["name"] in run.stdout, figure["name"]
    assert "| figure" in run.stdout and "JSON:" in run.stdout

    width, height = png_size(out / "latency.png")
    assert 300 <= width <= 2000 and 200 <= height <= 2000


def test_generate_writes_a_vault_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "vault"
    first = subprocess.run([sys.executable, "-m", "penna", "bench", "--generate", "50", "--out", str(target)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert re.search(r"wrote 50 notes to .+ in \d+\.\d s", first.stdout), first.stdout  # and how long it took
    assert len(list(target.rglob("*.md"))) == 50
    again = subprocess.run([sys.executable, "-m", "penna", "bench", "--generate", "50", "--out", str(target)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_the_busy_laptop_hog_takes_cpu_while_it_runs_and_is_gone_after() -> None:
    import time

    from penna.bench.busy import CpuHog

    hog = CpuHog().start()
    pid = hog.process.pid if hog.process else -1
    time.sleep(0.6)
    report = hog.stop()
    assert report.seconds >= 0.6 and report.cpu_seconds > 0.05  # it spun (on a shared machine, not a full core)
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
