from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from inspections.rounds import reminders, services


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Open the monthly reporting round: by default last month's, as the job does on "
            "the 1st. Safe to run again: it only adds the reports that are missing."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, help=gettext("the round's year"))
        parser.add_argument(
            "--month", type=int, choices=range(1, 13), help=gettext("the round's month, 1 to 12")
        )

    def handle(self, *args: Any, year: int | None, month: int | None, **options: Any) -> None:
        if (year is None) != (month is None):
            raise CommandError(gettext("Give --year and --month together."))
        if year is None:
            year, month = services.round_month_for(timezone.localdate())
        opened = services.round_open(year, month)
        round_ = opened.round
        values = {
            "round": reminders.round_label(round_),
            "count": opened.reports_created,
            "deadline": date_format(round_.deadline),
        }
        if opened.created:
            text = gettext("%(round)s opened: %(count)d reports, due on %(deadline)s.")
        else:
            text = gettext("%(round)s was already open: %(count)d reports added.")
        self.stdout.write(text % values)
