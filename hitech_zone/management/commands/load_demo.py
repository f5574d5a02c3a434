from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from hitech_zone.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Load the demo data: users, parks, the 28 key projects with their milestones and "
            "investment, site visits and issues. Creates only what is missing; safe to run twice."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext("Load even though DEBUG is off."),
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                gettext(
                    "DEBUG is off, so this may be a production database: demo data, with "
                    "its well-known passwords, was not loaded. Pass --force to load it anyway."
                )
            )
        created = load_demo()
        if not any(created.values()):
            self.stdout.write(gettext("The demo data is already loaded; nothing was created."))
            return
        for label, count in sorted(created.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                gettext("Demo data loaded. Demo users sign in with the password “%(password)s”.")
                % {"password": DEMO_PASSWORD}
            )
        )
