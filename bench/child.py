"""One measured job in a process of its own, so its peak RSS is its own: prints one JSON
line. Started by bench.measure.child with the bench's environment."""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from decimal import Decimal

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import escape  # noqa: E402

from bench.measure import peak_rss_mb, workbook_path  # noqa: E402
from hitech_zone.models import User  # noqa: E402
from projects.imports.services import project_import_apply, project_import_preview  # noqa: E402
from projects.models import Project, ProjectImport  # noqa: E402
from reports import periods, services  # noqa: E402
from reports.models import Briefing  # noqa: E402
from reports.pdf import html_to_pdf, preload  # noqa: E402


def _admin() -> User:
    return User.objects.get(username="admin")


def briefing(kind: str) -> dict:
    """The latest complete period, rendered by the scheduled job's code path."""
    today = timezone.localdate()
    if kind == Briefing.Kind.MONTHLY:
        last = today.replace(day=1) - timedelta(days=1)
        key = f"{last.year}-{last.month:02d}"
    else:
        last = today - timedelta(days=today.weekday() + 1)
        year, week, _ = last.isocalendar()
        key = f"{year}-W{week:02d}"
    # As in a worker, which loads WeasyPrint as it starts (reports.tasks).
    preload()
    baseline = peak_rss_mb()
    requested = services.briefing_request(
        kind=kind,
        period=periods.parse(kind, key),
        trigger=Briefing.Trigger.COMMAND,
        enqueue=False,
    )
    started = time.perf_counter()
    published = services.briefing_generate(briefing_id=requested.briefing.pk)
    seconds = time.perf_counter() - started
    assert published.status == Briefing.Status.PUBLISHED, published.error
    from pypdf import PdfReader

    with published.file.open("rb") as pdf:
        pages = len(PdfReader(pdf).pages)
    return {
        "period": key,
        "pages": pages,
        "seconds": round(seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": baseline,
        "pdf_kb": round(published.file.size / 1024),
    }


def briefing_floor() -> dict:
    """WeasyPrint alone: one bare table of the same project rows, with the same font."""
    rows = Project.objects.order_by("code").values_list(
        "code", "name", "company", "status", "total_investment"
    )
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>" for row in rows
    )
    html = (
        '<html><head><meta charset="utf-8"><style>@page { size: A4 } '
        "body { font-size: 9pt }</style></head>"
        f"<body><table>{cells}</table></body></html>"
    )
    preload()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    pdf = html_to_pdf(html)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": baseline,
        "pdf_kb": round(len(pdf) / 1024),
    }


def import_preview(rows: str) -> dict:
    path = workbook_path(int(rows))
    baseline = peak_rss_mb()
    started = time.perf_counter()
    record = project_import_preview(
        upload=SimpleUploadedFile(path.name, path.read_bytes()), kind="register", by=_admin()
    )
    seconds = time.perf_counter() - started
    assert record.error_count == 0, record.plan.get("errors", [])[:5]
    return {
        "record": record.pk,
        "rows": record.created_count + record.updated_count + record.unchanged_count,
        "seconds": round(seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": baseline,
    }


def import_apply(record_id: str) -> dict:
    record = ProjectImport.objects.get(pk=int(record_id))
    before = Project.history.count()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    applied = project_import_apply(record=record, by=_admin())
    seconds = time.perf_counter() - started
    return {
        "created": applied.created_count,
        "history_rows_written": Project.history.count() - before,
        "seconds": round(seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": baseline,
    }


def write_workbook(rows: str) -> dict:
    """A register sheet of new projects in the import template's format."""
    import openpyxl

    from projects.imports.columns import REGISTER_COLUMNS
    from projects.models import Park, Sector

    columns = [c for c in REGISTER_COLUMNS if not c.read_only]
    parks = list(Park.objects.values_list("name", flat=True))
    sectors = list(Sector.objects.values_list("name", flat=True))
    person = User.objects.get(username="official").full_name
    today = timezone.localdate()
    values = {
        "park": lambda n: parks[n % len(parks)],
        "sector": lambda n: sectors[n % len(sectors)],
        "level": lambda n: str(Project.Level.CITY.label),
        "category": lambda n: str(Project.Category.INDUSTRIAL.label),
        "status": lambda n: str(Project.Status.CONSTRUCTION.label),
        "total_investment": lambda n: Decimal(10_000 + n),
        "planned_start": lambda n: today - timedelta(days=n % 300),
        "planned_completion": lambda n: today + timedelta(days=365 + n % 300),
        "responsible_person": lambda n: person,
        "code": lambda n: f"IMP-{n:05d}",
        "name": lambda n: f"导入测试项目{n:05d}",
        "company": lambda n: f"导入测试科技有限公司{n % 97:02d}",
        "location": lambda n: "高新区",
        "description": lambda n: "新建厂房及生产线",
    }
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("重点项目")
    sheet.append([c.zh for c in columns])
    sheet.append([c.en for c in columns])
    for n in range(int(rows)):
        sheet.append([values[c.key](n) if c.key in values else None for c in columns])
    path = workbook_path(int(rows))
    workbook.save(path)
    return {"path": str(path), "columns": [c.key for c in columns]}


COMMANDS = {
    "briefing": briefing,
    "briefing-floor": briefing_floor,
    "import-preview": import_preview,
    "import-apply": import_apply,
    "write-workbook": write_workbook,
}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])))
