"""Spreadsheet imports into the register: `columns` (the file format), `templates` (the
workbooks to fill in), `reading` and `cells` (the file, checked and read leniently), `plan`
(the dry run shown as the preview) and `services` (preview, then apply through
projects.services, all or nothing)."""
