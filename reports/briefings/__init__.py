"""The weekly (周调度) and monthly (月通报) briefings: their figures, frozen as a snapshot of
the data as of one moment, and their rendering to HTML and PDF.

    snapshot = snapshot_build(kind=WEEKLY, period=period, as_of=moment)
    pdf = pdf_render(snapshot=snapshot, generated_at=now, version=1, changes=[])
"""

from reports.briefings.changes import snapshot_changes
from reports.briefings.render import html_render, pdf_render
from reports.briefings.snapshot import snapshot_build, snapshot_digest

__all__ = ["html_render", "pdf_render", "snapshot_build", "snapshot_changes", "snapshot_digest"]
