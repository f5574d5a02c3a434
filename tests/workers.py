"""Parallel runs (pytest-xdist): each worker of the run gets a folder, a test database and
Celery queues of its own, so two workers never take each other's jobs or files.

Loaded with ``-p`` (pyproject.toml), so it runs before Django reads its settings.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _var = Path(os.environ.get("VAR_DIR") or ROOT / "var") / f"test-{_worker}"
    _var.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(_var)
    for _name in ("CELERY_DEFAULT_QUEUE", "CELERY_PDF_QUEUE"):
        os.environ[_name] = f"{os.environ.get(_name) or 'test'}-{_worker}"
