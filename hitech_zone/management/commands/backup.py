from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from hitech_zone import backup


class Command(BaseCommand):
    # argparse needs plain strings, so the help is translated when asked for, not lazily.
    @property
    def help(self) -> str:
        return gettext(
            "Back up the database (PostgreSQL: pg_dump; SQLite: the online backup API) and "
            "the media files into one .tar file, with a manifest of row counts and SHA-256 "
            "hashes. Prints the file's path on the last line."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=None,
            help=gettext("Folder to write the backup into (default: var/backups)."),
        )

    def handle(self, *args: Any, output_dir: Path | None = None, **options: Any) -> None:
        output_dir = output_dir or Path(settings.VAR_DIR) / "backups"
        try:
            result = backup.backup_create(output_dir=output_dir)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            gettext(
                "Backed up the %(engine)s database (%(tables)d tables, %(rows)d rows) and "
                "%(files)d media files."
            )
            % {
                "engine": manifest["database"]["engine"],
                "tables": len(manifest["row_counts"]),
                "rows": sum(manifest["row_counts"].values()),
                "files": len(manifest["media"]["files"]),
            }
        )
        self.stdout.write(str(result.path))
