"""The benchmark runs end to end on a small temporary database and reports every figure. No
duration is asserted: only that each headline figure is there and is a number."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from benchmarks import screens
from core.config import PROJECT_ROOT

KEYS = (
    "generate_s",
    "page_ratio_max",
    "page_ms_max",
    "search_overhead_ms_max",
    "dashboard_ms_max",
    "pdf_ms",
    "blank_pdf_ms",
    "history_xlsx_1000_ms",
    "export_10000_ms",
    "rss_mb",
)


def test_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--licences",
            "200",
            "--runs",
            "1",
            "--json",
            str(out),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["engine"] == "sqlite"
    assert result["licences"] == 200
    for key in KEYS:
        value = result[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert math.isfinite(value) and value > 0, (key, value)
    details = result["details"]
    # Every screen of every role was drawn, each search gave the raw SQL's licences.
    assert len(details["screens"]) == len(screens.pairs())
    assert all(s["same_answer"] for s in details["searches"].values()), details["searches"]
    assert details["history_xlsx"]["events"] == 1000
    assert "browser_ratio_max" not in result  # only with --browser
    assert "Summary" in done.stdout


def _counts(path: Path) -> tuple[int, ...]:
    with sqlite3.connect(path) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("licences", "users", "history_events")
        )


def test_benchmark_refuses_a_database_that_is_not_empty(tmp_path: Path) -> None:
    """Given a database holding licences, it stops before writing anything."""
    url = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    env = dict(os.environ, DEMO_MODE="1")
    subprocess.run(
        [sys.executable, "-m", "core", "--database", url, "seed-demo", "--licences", "50"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    before = _counts(tmp_path / "full.sqlite3")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--licences",
            "50",
            "--runs",
            "1",
            "--database-url",
            url,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert _counts(tmp_path / "full.sqlite3") == before
