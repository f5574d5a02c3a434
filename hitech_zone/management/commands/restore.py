from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext

from hitech_zone import backup


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Restore a backup made by the backup command into an empty database and an empty "
            "media folder, then check the row counts and file hashes against its manifest."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=gettext("The backup's .tar file."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext(
                "Restore even though the target is not empty: every table, view and sequence "
                "of the database and every file in the media folder is deleted first."
            ),
        )

    def handle(self, *args: Any, file: Path, force: bool = False, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(gettext("No such file: %(path)s") % {"path": file})
        # The restore works on its own connections; Django's must not hold the database.
        connections.close_all()
        try:
            result = backup.backup_restore(archive_path=file, force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "Restored the backup of %(created_at)s: %(tables)d tables with %(rows)d rows "
                    "and %(files)d media files, all matching the manifest."
                )
                % {
                    "created_at": manifest["created_at"],
                    "tables": result.tables,
                    "rows": result.rows,
                    "files": result.media_files,
                }
            )
        )
        if result.migrations_unknown:
            self.stdout.write(
                self.style.WARNING(
                    gettext(
                        "The backup has migrations this code does not know (%(names)s): it was "
                        "made by a newer version. Deploy that version before using the data."
                    )
                    % {"names": ", ".join(result.migrations_unknown)}
                )
            )
        if result.migrations_behind:
            self.stdout.write(
                self.style.WARNING(
                    gettext(
                        "This code has newer migrations than the backup (%(names)s): run "
                        "“manage.py migrate” next."
                    )
                    % {"names": ", ".join(result.migrations_behind)}
                )
            )
