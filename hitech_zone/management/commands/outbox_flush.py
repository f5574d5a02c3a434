from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from hitech_zone import outbox


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Send the tasks that wait in the outbox because the broker was down when they "
            "were asked for. Beat does this every minute; this is for doing it at once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = 0
        while batch := outbox.outbox_flush():
            sent += batch
        waiting = outbox.outbox_waiting_count()
        self.stdout.write(
            gettext("%(sent)d sent, %(waiting)d still waiting.")
            % {"sent": sent, "waiting": waiting}
        )
        if waiting:
            raise CommandError(gettext("The broker did not take every task; try again later."))
