"""The audit log as a spreadsheet, written through hitech_zone.spreadsheets."""

import json
from collections.abc import Iterable
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from hitech_zone.models import AuditEntry
from hitech_zone.spreadsheets import Sheet


def audit_entry_sheet(entries: Iterable[AuditEntry]) -> Sheet:
    """One row per entry (with `user` selected). The time twice: UTC, as recorded, and
    the zone's local time people read."""
    return Sheet(
        _("Audit log"),
        [
            [
                _("Time (UTC)"),
                _("Time (local)"),
                _("Action"),
                _("User name"),
                _("Full name"),
                _("Target"),
                _("Detail"),
                _("IP address"),
                _("User agent"),
                _("Request id"),
            ]
        ],
        (
            [
                entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                entry.occurred_at,
                entry.get_action_display(),
                entry.username,
                entry.user.full_name if entry.user else "",
                entry.target,
                json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder),
                entry.ip_address,
                entry.user_agent,
                entry.request_id,
            ]
            for entry in entries
        ),
        widths={0: 22, 1: 20, 5: 40, 6: 60, 8: 40},
    )
