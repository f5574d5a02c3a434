"""`python -m bench` (`make bench`): every hot path at zone, city and province scale, each
beside the floor (the bare framework) measured in the same run. Prints a table per scale
and writes bench/results/latest.json. README: Performance."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime

from bench.environment import RESULTS, prepare

SCALES = {"zone": 28, "city": 1_000, "province": 10_000}
BRIEFING_SCALES = ("zone", "city", "province")
IMPORT_ROWS = 5_000
COLD_REQUESTS = 20

# (scale or None for every scale, what, limit): README "Performance" keeps the same table.
TARGETS = {
    "page_p95_ms": {"zone": 50, "province": 150},
    "page_ratio_zone": 4.0,
    # Issue "One truth for the zone's numbers": right after a write (nothing cached), and
    # the API's project list against the floor.
    "page_after_write_p95_ms_province": 150,
    "api_list_ratio": 4.0,
    "throughput_share": 0.25,
    "slip_seconds_province": 10.0,
    # Issue "Briefings a leader acts on": (seconds, MB, pages) per scale.
    "monthly_briefing": {"zone": (1.5, 300, 8), "city": (2.0, 300, 8), "province": (2.0, 300, 8)},
    "weekly_briefing": {
        "zone": (1.5, 300, None),
        "city": (1.5, 300, None),
        "province": (1.5, 300, None),
    },
    "import_apply": (30.0, 400),
    # Issue "Monthly reporting round": opening a round (a report per reporting project).
    "round_open_seconds_province": 5.0,
}


def _table(title: str, header: list[str], rows: list[list]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [f"\n{title}", line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*(str(cell) for cell in row)) for row in rows]
    return "\n".join(out)


def _pages(client, token: str, project_code: str) -> dict:
    from bench.measure import page

    floor = page(client, "/bench/floor/")
    api = {"Authorization": f"Bearer {token}"}
    measured = {
        "dashboard": page(client, "/"),
        "register": page(client, "/projects/"),
        "register_filtered": page(client, "/projects/?status=construction&sort=-total"),
        "project_page": page(client, f"/projects/{project_code}/"),
        "issue_list": page(client, "/issues/"),
        "api_project_list": page(client, "/api/v1/projects", headers=api),
    }
    for result in measured.values():
        result["ratio_to_floor"] = round(result["median_ms"] / floor["median_ms"], 1)
    # The same pages right after a write: their cached content is retired, so each request
    # does the whole work (hitech_zone.fragments). The API has no cached content.
    for name, result in measured.items():
        if name != "api_project_list":
            cold = page(client, result["url"], requests=COLD_REQUESTS, before=_write)
            result["cold"] = {k: cold[k] for k in ("median_ms", "p95_ms", "queries")}
    return {"floor": floor, **measured}


def _write() -> None:
    """A committed write to a table the pages show, as an official's edit would be."""
    from django.db.models import F

    from projects.models import Park

    Park.objects.filter(pk=Park.objects.order_by("pk").values("pk")[:1]).update(name=F("name"))


def _slip_detection() -> dict:
    from bench.measure import counted_queries
    from reports.detection import slip_detect

    runs = {}
    for name in ("first_run", "rerun"):
        with counted_queries() as captured:
            started = time.perf_counter()
            summary = slip_detect()
            seconds = time.perf_counter() - started
        queries = len(captured)
        runs[name] = {"seconds": round(seconds, 2), "queries": queries, "summary": summary}
    return runs


def _round_open() -> dict:
    """Open a round for every project that reports, as the job does on the 1st, then
    again (a second beat, a retry): the second run finds nothing to add."""
    from django.utils import timezone

    from bench.measure import counted_queries
    from inspections.models import MonthlyReport
    from inspections.rounds import services

    today = timezone.localdate()
    # Last month's round; in January, January's: the generated plans are this year's.
    year, month = services.round_month_for(today) if today.month > 1 else (today.year, 1)
    runs = {}
    for name in ("first_run", "rerun"):
        with counted_queries() as captured:
            started = time.perf_counter()
            opened = services.round_open(year, month)
            seconds = time.perf_counter() - started
        runs[name] = {
            "seconds": round(seconds, 2),
            "queries": len(captured),
            "reports_created": opened.reports_created,
        }
    runs["reports"] = MonthlyReport.objects.filter(round=opened.round).count()
    return runs


def _scale(name: str, *, throughput_seconds: int, round_open_only: bool = False) -> dict:
    from django.test import Client

    from bench import data
    from bench.measure import child, throughput
    from hitech_zone.models import User
    from hitech_zone.services import api_token_create
    from projects.models import Project

    data.reset()
    started = time.perf_counter()
    counts = data.populate(SCALES[name])
    result: dict = {"counts": counts, "populate_seconds": round(time.perf_counter() - started, 1)}
    print(f"\n[{name}] data ready in {result['populate_seconds']} s: {counts}", flush=True)
    if round_open_only:
        result["round_open"] = _round_open()
        client = Client()
        client.force_login(User.objects.get(username="official"))
        result["round_pages"] = _round_pages(client)
        return result

    result["slip_detection"] = _slip_detection()
    official = User.objects.get(username="official")
    client = Client()
    client.force_login(official)
    _token, key = api_token_create(user=official, name="bench")
    code = Project.objects.filter(is_demo=True).order_by("code").values_list("code", flat=True)[0]
    result["pages"] = _pages(client, key, code)
    print(f"[{name}] pages measured", flush=True)
    if throughput_seconds:
        rps = throughput(
            {"floor": "/bench/floor/", "dashboard": "/", "register": "/projects/"},
            f"sessionid={client.cookies['sessionid'].value}",
            seconds=throughput_seconds,
        )
        result["throughput_rps"] = rps
        result["throughput_share"] = {
            page: round(rps[page] / rps["floor"], 3) for page in ("dashboard", "register")
        }
        print(f"[{name}] throughput measured", flush=True)
    if name in BRIEFING_SCALES:
        result["briefings"] = {
            "weekly": child("briefing", "weekly"),
            "monthly": child("briefing", "monthly"),
            "floor": child("briefing-floor"),
        }
        print(f"[{name}] briefings rendered", flush=True)
    # Last, so the pages above are measured as before; it adds a report per project.
    result["round_open"] = _round_open()
    print(f"[{name}] round opened", flush=True)
    result["round_pages"] = _round_pages(client)
    print(f"[{name}] round pages measured", flush=True)
    return result


def _round_pages(client) -> dict:
    """The check queue and the round's page with a tenth of the round's reports submitted
    (a province's queue on the deadline's morning), as an official reads them."""
    from decimal import Decimal

    from django.utils import timezone

    from bench.measure import page
    from inspections.models import MonthlyReport, ReportingRound

    round_ = ReportingRound.objects.order_by("-year", "-month").first()
    submitted = list(
        MonthlyReport.objects.filter(round=round_).order_by("pk").values_list("pk", flat=True)
    )[::10]
    now = timezone.now()
    for start in range(0, len(submitted), 500):
        MonthlyReport.objects.filter(pk__in=submitted[start : start + 500]).update(
            state=MonthlyReport.State.SUBMITTED,
            completed_amount=Decimal("100"),
            submitted_at=now,
            first_submitted_at=now,
        )
    return {
        "submitted": len(submitted),
        "check_queue": page(client, "/rounds/queue/"),
        "round_page": page(client, f"/rounds/{round_.year}-{round_.month}/"),
    }


def _import() -> dict:
    from bench import data
    from bench.measure import child

    data.reset()
    data.populate(SCALES["zone"])
    child("write-workbook", str(IMPORT_ROWS))
    preview = child("import-preview", str(IMPORT_ROWS))
    applied = child("import-apply", str(preview.pop("record")))
    return {"rows": IMPORT_ROWS, "dry_run": preview, "apply": applied}


def _targets(results: dict) -> list[list]:
    """Each target of the performance issue, with the figure that meets or misses it."""
    rows = []
    if "round_open" in results["scales"].get("province", {}):
        opened = results["scales"]["province"]["round_open"]["first_run"]
        limit = TARGETS["round_open_seconds_province"]
        rows.append(
            [
                f"open a round, province ({opened['reports_created']:,} reports)",
                f"≤ {limit} s",
                f"{opened['seconds']} s",
                opened["seconds"] <= limit,
            ]
        )
    for scale, limit in TARGETS["page_p95_ms"].items():
        if "round_pages" in results["scales"].get(scale, {}):
            measured = results["scales"][scale]["round_pages"]
            worst = max(measured[p]["p95_ms"] for p in ("check_queue", "round_page"))
            rows.append(
                [
                    f"check queue and round page p95, {scale} "
                    f"({measured['submitted']:,} awaiting check)",
                    f"≤ {limit} ms",
                    f"{worst} ms",
                    worst <= limit,
                ]
            )
    # The scales measured in full (--round-open-only measures only the round).
    scales = {s: f for s, f in results["scales"].items() if "pages" in f}
    hot = ("dashboard", "register", "register_filtered", "project_page", "issue_list")
    for scale, limit in TARGETS["page_p95_ms"].items():
        if scale in scales:
            worst = max(scales[scale]["pages"][p]["p95_ms"] for p in hot)
            rows.append([f"page p95, {scale}", f"≤ {limit} ms", f"{worst} ms", worst <= limit])
    if "zone" in scales:
        worst = max(scales["zone"]["pages"][p]["ratio_to_floor"] for p in hot)
        limit = TARGETS["page_ratio_zone"]
        rows.append(["page / floor, zone", f"≤ {limit} ×", f"{worst} ×", worst <= limit])
    if "province" in scales:
        pages = scales["province"]["pages"]
        worst = max(pages[p]["cold"]["p95_ms"] for p in hot)
        limit = TARGETS["page_after_write_p95_ms_province"]
        rows.append(
            ["page p95 after a write, province", f"≤ {limit} ms", f"{worst} ms", worst <= limit]
        )
    for scale, figures in scales.items():
        ratio = figures["pages"]["api_project_list"]["ratio_to_floor"]
        limit = TARGETS["api_list_ratio"]
        rows.append(
            [f"API project list / floor, {scale}", f"≤ {limit} ×", f"{ratio} ×", ratio <= limit]
        )
    if len(scales) > 1:
        same = all(
            len({scales[s]["pages"][p]["queries"] for s in scales}) == 1
            for p in (*hot, "api_project_list")
        ) and all(len({scales[s]["pages"][p]["cold"]["queries"] for s in scales}) == 1 for p in hot)
        rows.append(["queries per page", "same at every scale", "same" if same else "grow", same])
    for scale, figures in scales.items():
        if "throughput_share" in figures:
            share = figures["throughput_share"]["dashboard"]
            limit = TARGETS["throughput_share"]
            rows.append(
                [
                    f"dashboard rps / floor, {scale}",
                    f"≥ {limit:.0%}",
                    f"{share:.0%}",
                    share >= limit,
                ]
            )
    if "province" in scales:
        slip = scales["province"]["slip_detection"]["first_run"]
        limit = TARGETS["slip_seconds_province"]
        rows.append(
            ["slip job, province", f"≤ {limit} s", f"{slip['seconds']} s", slip["seconds"] <= limit]
        )
    if {"city", "province"} <= set(scales):
        # Ten times the rows, the same statements: the job's reads and writes are set-based;
        # what it adds at the larger scales is sending the pending e-mails, a bounded batch.
        queries = {s: scales[s]["slip_detection"]["first_run"]["queries"] for s in scales}
        bounded = queries["province"] == queries["city"]
        rows.append(["slip job queries, city → province", "not growing", str(queries), bounded])
    for kind in ("monthly", "weekly"):
        for scale, (seconds, mb, pages) in TARGETS[f"{kind}_briefing"].items():
            if scale not in scales or "briefings" not in scales[scale]:
                continue
            made = scales[scale]["briefings"][kind]
            ok = made["seconds"] <= seconds and made["peak_rss_mb"] <= mb
            target = f"≤ {seconds} s, ≤ {mb} MB"
            if pages is not None:
                ok = ok and made["pages"] <= pages
                target += f", ≤ {pages} pages"
            rows.append(
                [
                    f"{kind} briefing, {scale}",
                    target,
                    f"{made['seconds']} s, {made['peak_rss_mb']} MB, {made['pages']} pages",
                    ok,
                ]
            )
    if "import" in results:
        seconds, mb = TARGETS["import_apply"]
        applied = results["import"]["apply"]
        ok = (
            applied["seconds"] <= seconds
            and applied["peak_rss_mb"] <= mb
            and applied["history_rows_written"] >= IMPORT_ROWS
        )
        rows.append(
            [
                f"import {IMPORT_ROWS} rows, apply",
                f"≤ {seconds} s, ≤ {mb} MB, history",
                f"{applied['seconds']} s, {applied['peak_rss_mb']} MB, "
                f"{applied['history_rows_written']} history rows",
                ok,
            ]
        )
    return rows


def _round_open_report(runs: dict) -> str:
    return _table(
        f"open a round ({runs['reports']:,} reports)",
        ["run", "seconds", "queries", "reports created"],
        [
            [run, v["seconds"], v["queries"], v["reports_created"]]
            for run, v in runs.items()
            if run != "reports"
        ],
    )


def _round_pages_report(measured: dict) -> str:
    return _table(
        f"the round's pages ({measured['submitted']:,} reports awaiting check)",
        ["page", "median ms", "p95 ms", "queries"],
        [
            [n, p["median_ms"], p["p95_ms"], p["queries"]]
            for n, p in measured.items()
            if n != "submitted"
        ],
    )


def _scale_report(scale: str, figures: dict) -> str:
    out = []
    counts = ", ".join(f"{k} {v:,}" for k, v in figures["counts"].items())
    if "pages" not in figures:  # --round-open-only
        return "\n".join(
            [
                f"\n== {scale} ({counts})",
                _round_open_report(figures["round_open"]),
                _round_pages_report(figures["round_pages"]),
            ]
        )
    pages = figures["pages"]
    out.append(
        _table(
            f"== {scale} ({counts})",
            [
                "page",
                "median ms",
                "p95 ms",
                "queries",
                "× floor",
                "after a write: median ms",
                "p95 ms",
                "queries",
            ],
            [
                [
                    n,
                    p["median_ms"],
                    p["p95_ms"],
                    p["queries"],
                    p.get("ratio_to_floor", 1.0),
                    *(
                        (p["cold"]["median_ms"], p["cold"]["p95_ms"], p["cold"]["queries"])
                        if "cold" in p
                        else ("", "", "")
                    ),
                ]
                for n, p in pages.items()
            ],
        )
    )
    if "throughput_rps" in figures:
        rps = figures["throughput_rps"]
        out.append(
            _table(
                "gunicorn, 2 sync workers, wrk on loopback",
                ["path", "requests/s", "share of floor"],
                [[p, r, f"{r / rps['floor']:.0%}"] for p, r in rps.items()],
            )
        )
    slip = figures["slip_detection"]
    out.append(
        _table(
            "slip detection",
            ["run", "seconds", "queries"],
            [[run, v["seconds"], v["queries"]] for run, v in slip.items()],
        )
    )
    if "round_open" in figures:
        out.append(_round_open_report(figures["round_open"]))
    if "round_pages" in figures:
        out.append(_round_pages_report(figures["round_pages"]))
    if "briefings" in figures:
        out.append(
            _table(
                "briefing render (own process)",
                ["briefing", "seconds", "peak RSS MB", "RSS before MB", "PDF KB", "pages"],
                [
                    [
                        k,
                        v["seconds"],
                        v["peak_rss_mb"],
                        v["rss_before_mb"],
                        v["pdf_kb"],
                        v.get("pages", ""),
                    ]
                    for k, v in figures["briefings"].items()
                ],
            )
        )
    return "\n".join(out)


def _report(results: dict) -> str:
    out = [f"Engine: {results['engine']} · {results['machine']}"]
    if "import" in results:
        imp = results["import"]
        out.append(
            _table(
                f"Excel import, {imp['rows']:,} new projects (own process)",
                ["step", "seconds", "peak RSS MB", "RSS before MB"],
                [
                    [
                        step,
                        imp[step]["seconds"],
                        imp[step]["peak_rss_mb"],
                        imp[step]["rss_before_mb"],
                    ]
                    for step in ("dry_run", "apply")
                ],
            )
        )
    out.append(
        _table(
            "Targets",
            ["target", "goal", "measured", "met"],
            [[*row[:3], "yes" if row[3] else "NO"] for row in results["targets"]],
        )
    )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scales", default=",".join(SCALES), help="zone,city,province")
    parser.add_argument("--throughput-seconds", type=int, default=8, help="0 skips gunicorn")
    parser.add_argument("--no-import", action="store_true", help="skip the Excel import")
    parser.add_argument(
        "--round-open-only",
        action="store_true",
        help="at each scale, only open a monthly round and measure its pages (implies --no-import)",
    )
    args = parser.parse_args(argv)
    scales = [s for s in args.scales.split(",") if s]
    prepare()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    results: dict = {
        "engine": os.environ["BENCH_ENGINE"],
        "machine": f"{os.cpu_count()} cores · Python {platform.python_version()} · "
        f"Django {django.get_version()}",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench"
        + (" (DATABASE_URL=postgres…)" if "postgres" in os.environ["BENCH_ENGINE"] else ""),
        "scales": {},
    }
    for scale in scales:
        results["scales"][scale] = _scale(
            scale, throughput_seconds=args.throughput_seconds, round_open_only=args.round_open_only
        )
        print(_scale_report(scale, results["scales"][scale]), flush=True)
    if not args.no_import and not args.round_open_only:
        results["import"] = _import()
    results["targets"] = _targets(results)
    results["seconds"] = round(time.perf_counter() - started)
    print(_report(results))
    print(f"\nBench ran in {results['seconds']} s.")
    full = set(scales) == set(SCALES) and not args.round_open_only
    path = RESULTS / ("latest.json" if full else "latest-partial.json")
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"Figures written to {path.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
