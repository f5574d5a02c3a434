from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from hitech_zone import services


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Create an API token for a user and print its key (only the key, on one line, "
            "so a script can capture it). The key is not stored and cannot be shown again."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help=gettext("What the token is for."))

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(gettext("No user “%(username)s”.") % {"username": username})
        if not user.is_active:
            raise CommandError(
                gettext("The user “%(username)s” is inactive.") % {"username": username}
            )
        _token, key = services.api_token_create(user=user, name=name)
        self.stdout.write(key)
