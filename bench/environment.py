"""The bench's own database, media and broker folders, set up before Django starts.

With DATABASE_URL pointing at PostgreSQL the bench works in a database of its own beside
it (`<name>_bench`, recreated each run); otherwise in a SQLite file under var/bench/.
Nothing of the configured database is touched.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"


def engine() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def _postgres_bench_url(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepare() -> dict[str, str]:
    """Points this process (and the processes it starts) at fresh bench storage."""
    if os.environ.get("BENCH_PREPARED") == "1":
        return dict(os.environ)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    RESULTS.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    database = (
        _postgres_bench_url(url) if engine() == "postgresql" else f"sqlite:///{WORK}/bench.sqlite3"
    )
    os.environ.update(
        {
            "BENCH_PREPARED": "1",
            "BENCH_ENGINE": engine(),
            "DATABASE_URL": database,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            # Production-like: no debug toolbar of queries, cached templates.
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_COOKIES": "0",
            "MEDIA_ROOT": str(WORK / "media"),
            "VAR_DIR": str(WORK),
            "CELERY_BROKER_DIR": str(WORK / "celery"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
    )
    # Jobs the bench triggers stay in its own file broker, never on a shared Redis.
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    return dict(os.environ)
