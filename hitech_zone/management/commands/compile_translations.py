from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Compile the project's .po files to .mo (pure Python: no gettext tools needed)."

    def handle(self, *args, **options) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                broken = [entry.msgid for entry in catalogue if "fuzzy" in entry.flags]
                if broken:
                    raise CommandError(
                        _("%(file)s has fuzzy entries, review them first: %(ids)s")
                        % {"file": po_path, "ids": ", ".join(broken[:5])}
                    )
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
        if not compiled:
            raise CommandError(_("No .po files found under LOCALE_PATHS."))
        self.stdout.write(_("Compiled %(count)d translation catalogues.") % {"count": compiled})
