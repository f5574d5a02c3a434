from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import periods, services
from reports.models import Briefing


class Command(BaseCommand):
    help = (
        "Render the weekly or monthly briefing of a period (2026-W44 or 2026-10), in this "
        "process, with the same code as the scheduled job, and store it. A period already "
        "published is not rendered again unless --reissue gives a reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=Briefing.Kind.values)
        parser.add_argument("period", help="2026-W44 for a week, 2026-10 for a month")
        parser.add_argument("-o", "--output", type=Path, help="also write the PDF to this file")
        parser.add_argument(
            "--reissue", metavar="REASON", default="", help="publish a new version, saying why"
        )

    def handle(self, *args, kind: str, period: str, output: Path | None, reissue: str, **options):
        try:
            parsed = periods.parse(kind, period)
        except periods.PeriodError as error:
            raise CommandError(str(error)) from None
        published = (
            Briefing.objects.versions()
            .filter(kind=kind, period=parsed.key, status=Briefing.Status.PUBLISHED)
            .order_by("-version")
        )
        briefing = published.first()
        if briefing is None or reissue:
            requested = services.briefing_request(
                kind=kind,
                period=parsed,
                trigger=Briefing.Trigger.COMMAND,
                reissue_reason=reissue,
                enqueue=False,
            )
            briefing = services.briefing_generate(briefing_id=requested.briefing.pk)
        if briefing.status != Briefing.Status.PUBLISHED:
            raise CommandError(f"{briefing}: {briefing.get_status_display()} {briefing.error}")
        if output:
            with briefing.file.open("rb") as source:
                output.write_bytes(source.read())
        self.stdout.write(
            f"{briefing} · {briefing.file.name} · pdf sha256 {briefing.pdf_sha256} · "
            f"data sha256 {briefing.snapshot_sha256}" + (f" → {output}" if output else "")
        )
