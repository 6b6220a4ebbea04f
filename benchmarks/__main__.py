"""`python -m benchmarks --licences N [--database-url URL] [--json FILE] [--browser] [--runs K]`

Fills an empty database through the seed's bulk path (timed), then measures medians after a
warm-up: every screen as each role against a trivial page, the searches against raw SQL, the
dashboard, the PDFs, the history and search exports, the peak memory; with --browser, a real
browser walk against a trivial two-page app. Prints a table; --json writes the figures."""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import rounded

# Each headline figure, its target at 1,000,000 licences (the issue « Fast at a million
# licences ») and its unit.
TARGETS: dict[str, tuple[float | None, str]] = {
    "generate_s": (120, "s"),
    "page_ratio_max": (1.5, "× trivial page"),
    "page_ms_max": (None, "ms"),
    "browser_ratio_max": (1.5, "× trivial app"),
    "search_overhead_ms_max": (1, "ms"),
    "dashboard_ms_max": (1000, "ms"),
    "pdf_ms": (100, "ms"),
    "blank_pdf_ms": (100, "ms"),
    "history_xlsx_1000_ms": (300, "ms"),
    "export_10000_ms": (1000, "ms"),
    "rss_mb": (400, "MB"),
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--licences", type=int, required=True, help="demo licences to generate")
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill (kept afterwards); "
        "default: a temporary SQLite file, deleted afterwards",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also time a walk in headless Chromium (/usr/bin/chromium)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    args = parser.parse_args(argv)
    if args.licences < 50:
        parser.error("--licences: 50 at least (every status for both companies, and drafts)")
    if args.runs < 1:
        parser.error("--runs: 1 at least")
    return args


def _environment(url: str) -> None:
    """Point core and the screens at `url`, in demo mode, with a cookie key of their own (no
    run writes one into the checkout's .streamlit/secrets.toml)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEMO_MODE"] = "1"
    os.environ.setdefault("AUTH_COOKIE_KEY", "benchmark-cookie-key-" + "b" * 32)
    from core import config
    from core.database import set_default_url

    config.settings.cache_clear()
    set_default_url(url)


def machine() -> dict[str, Any]:
    import streamlit

    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "platform": platform.platform(),
    }


def section(title: str) -> None:
    """A heading. And a full garbage collection, the survivors then left out of later ones
    (`gc.freeze`): no phase pays for the previous one's garbage, nor for scanning the
    generated data and the modules imported so far, which a long-running server would have
    moved to its oldest generation long ago."""
    gc.collect()
    gc.freeze()
    print(f"\n{title}\n{'-' * len(title)}", flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import dashboard, database, exports, screens, searches

    started = time.perf_counter()
    seconds: dict[str, float] = {}
    with database.target(args.database_url) as url:
        _environment(url)
        from core.database import get_engine

        engine = get_engine().dialect.name
        info = machine()
        print(
            f"Export Licence Desk benchmark: {engine}, {args.licences:,} licences, "
            f"{args.runs} timed run(s) per figure after a warm-up (median, ± half the spread)"
        )
        print(
            f"machine: {info['cpus']} CPUs, {info['ram_gb']} GB RAM, Python {info['python']}, "
            f"Streamlit {info['streamlit']}"
        )

        section("Generate (empty database, seed's bulk path)")
        generated = database.generate(args.licences)
        print(f"  schema and reference lists   {generated['prepare_s']:8.1f} s")
        print(f"  {args.licences:,} licences (seed_demo)   {generated['generate_s']:8.1f} s")

        section("Screens (AppTest, logged in)      screen          trivial page       ratio")
        t = time.perf_counter()
        shown = screens.measure_screens(args.runs)
        uncached = screens.measure_dashboard_uncached(args.runs)
        seconds["screens"] = time.perf_counter() - t
        for r in shown:
            print(
                f"  {r.screen + ' / ' + r.username:30s} {r.screen_ms.text()}  "
                f"{r.floor_ms.text()}  {r.ratio:5.2f}"
            )
        print(f"  {'dashboard, figures not cached':30s} {uncached.text()}")

        section("Searches (core vs the same SQL through the driver)   core      raw    overhead")
        t = time.perf_counter()
        found = searches.measure_searches(args.runs)
        seconds["searches"] = time.perf_counter() - t
        for s in found:
            same = "" if s.same_answer else "  MISMATCH: not the same licences"
            print(
                f"  {s.case.name:28s} {s.total:6d} found  {s.core_ms.median:8.2f} ms "
                f"{s.raw_ms.median:8.2f} ms {s.overhead_ms:+8.2f} ms{same}"
            )

        section("Dashboard (core.analytics.dashboard, analyst)")
        t = time.perf_counter()
        boards, checks = dashboard.measure_dashboard(args.runs)
        seconds["dashboard"] = time.perf_counter() - t
        for b in boards:
            slowest = max(b.figures_ms.items(), key=lambda kv: kv[1])
            print(
                f"  {b.name:34s} {b.timing.text()}  {b.total:7d} licences  "
                f"(slowest figure: {slowest[0]} {slowest[1]:.0f} ms)"
            )
        print("  consistency of the filtered figures:")
        for line in checks:
            print(line)

        section("Files")
        t = time.perf_counter()
        files = exports.measure_exports(args.runs)
        seconds["files"] = time.perf_counter() - t
        print(
            f"  licence PDF ({files.pdf_goods_lines} goods lines)     {files.pdf.text()}"
            f"   with its read: {files.pdf_with_read.text()}"
        )
        print(f"  blank form PDF                   {files.blank_pdf.text()}")
        print(
            f"  history .xlsx, {files.history_events} events     {files.history_total.text()}"
            f"   (read {files.history_read.median:.0f} ms, write "
            f"{files.history_xlsx.median:.0f} ms)"
        )
        short = (
            ""
            if files.export_rows >= exports.EXPORT_ROWS
            else (f"  (only {files.export_rows:,} rows in this database)")
        )
        print(
            f"  export {files.export_rows:,} rows .xlsx       {files.export_xlsx.text()}"
            f"   (fetch {files.export_fetch.median:.0f} ms){short}"
        )
        print(f"  export {files.export_rows:,} rows .csv        {files.export_csv.text()}")
        print(
            f"  dashboard list fetch, {files.export_rows:,} rows "
            f"{files.export_licence_rows_fetch.text()}"
        )
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        walk, browser_error = None, None
        if args.browser:
            from benchmarks import browser

            section("Browser (headless Chromium, click to page finished running)")
            t = time.perf_counter()
            try:
                walk = browser.measure_walk(url, args.runs)
            except Exception as exc:  # the other figures are still worth writing
                browser_error = f"{type(exc).__name__}: {exc}"
                print(f"  FAILED: {browser_error}")
            seconds["browser"] = time.perf_counter() - t
            print(
                f"  {'step':48s} {'application':>20s}  {'trivial app':>20s}  ratio  runs"
                "  (first run ends)"
            )
            for step in walk.steps if walk else ():
                print(
                    f"  {step.name:48s} {step.app.text():>20s}  {step.floor.text():>20s} "
                    f"{step.ratio:6.2f}  {step.runs:4d}  ({step.app_first_run.median:.0f} ms)"
                )
            if walk and walk.server_rss_mb:
                print(f"  application server peak RSS: {walk.server_rss_mb:.0f} MB")

    seconds["total"] = time.perf_counter() - started
    result: dict[str, Any] = {
        "engine": engine,
        "licences": args.licences,
        "generate_s": generated["generate_s"],
        "page_ratio_max": max(r.ratio for r in shown),
        "page_ms_max": max(r.screen_ms.median for r in shown),
        "search_overhead_ms_max": max(s.overhead_ms for s in found),
        "dashboard_ms_max": max(b.timing.median for b in boards),
        "pdf_ms": files.pdf.median,
        "blank_pdf_ms": files.blank_pdf.median,
        "history_xlsx_1000_ms": files.history_total.median,
        "export_10000_ms": max(files.export_xlsx.median, files.export_csv.median),
        "rss_mb": rss_mb,
    }
    if walk is not None:
        result["browser_ratio_max"] = max(step.ratio for step in walk.steps)
    result["details"] = {
        "runs": args.runs,
        "machine": info,
        "prepare_s": generated["prepare_s"],
        "benchmark_s": seconds,
        "screens": {
            f"{r.screen}/{r.username}": {
                "path": r.path,
                "role": r.role,
                "screen_ms": r.screen_ms.median,
                "floor_ms": r.floor_ms.median,
                "ratio": r.ratio,
                "screen": r.screen_ms.as_dict(),
                "floor": r.floor_ms.as_dict(),
            }
            for r in shown
        },
        "dashboard_screen_uncached_ms": uncached.as_dict(),
        "search_ms_max": max(s.core_ms.median for s in found),
        "searches": {
            s.case.name: {
                "core_ms": s.core_ms.median,
                "raw_ms": s.raw_ms.median,
                "overhead_ms": s.overhead_ms,
                "found": s.total,
                "same_answer": s.same_answer,
                "core": s.core_ms.as_dict(),
                "raw": s.raw_ms.as_dict(),
            }
            for s in found
        },
        "dashboard": {
            b.name: {**b.timing.as_dict(), "licences": b.total, "figures_ms": b.figures_ms}
            for b in boards
        },
        "dashboard_consistency": [line.strip() for line in checks],
        "pdf": {
            "licence": files.pdf.as_dict(),
            "licence_with_read": files.pdf_with_read.as_dict(),
            "goods_lines": files.pdf_goods_lines,
            "bytes": files.pdf_bytes,
            "blank": files.blank_pdf.as_dict(),
        },
        "history_xlsx": {
            "events": files.history_events,
            "read": files.history_read.as_dict(),
            "write": files.history_xlsx.as_dict(),
            "total": files.history_total.as_dict(),
        },
        "export": {
            "rows": files.export_rows,
            "fetch": files.export_fetch.as_dict(),
            "xlsx_ms": files.export_xlsx.median,
            "csv_ms": files.export_csv.median,
            "xlsx": files.export_xlsx.as_dict(),
            "csv": files.export_csv.as_dict(),
            "dashboard_list_fetch": files.export_licence_rows_fetch.as_dict(),
        },
    }
    if browser_error:
        result["details"]["browser_error"] = browser_error
    if walk is not None:
        result["details"]["browser"] = {
            "server_rss_mb": walk.server_rss_mb,
            "steps": {
                step.name: {
                    "app_ms": step.app.median,
                    "floor_ms": step.floor.median,
                    "ratio": step.ratio,
                    "runs": step.runs,
                    "app_first_run_ms": step.app_first_run.median,
                    "app": step.app.as_dict(),
                    "floor": step.floor.as_dict(),
                }
                for step in walk.steps
            },
        }
    return rounded(result)


def summary(result: dict[str, Any]) -> None:
    section(
        f"Summary ({result['engine']}, {result['licences']:,} licences; the targets are "
        "for 1,000,000)"
    )
    for key, (target, unit) in TARGETS.items():
        if key not in result:
            continue
        value = result[key]
        verdict = "" if target is None else ("  ok" if value <= target else "  OVER")
        shown = f"target ≤ {target:g} {unit}" if target is not None else f"{unit}, no target"
        print(f"  {key:24s} {value:10.2f}   {shown}{verdict}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        result = run(args)
    except SystemExit as exc:  # refused: a non-empty database
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    summary(result)
    if args.json:
        args.json.write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"\nJSON written to {args.json}")
    print(f"(benchmark took {result['details']['benchmark_s']['total']:.0f} s)")
    if "browser_error" in result["details"]:
        print(f"browser walk failed: {result['details']['browser_error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
