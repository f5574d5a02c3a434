"""Backups that restore: one tar file holding a consistent database dump, an archive of the
media files and a manifest (row counts, migration state, SHA-256 of every file).

PostgreSQL is dumped with `pg_dump -Fc` and restored with `pg_restore`; the embedded SQLite
database is copied with SQLite's online backup API both ways. The manifest's row counts are
taken from the very snapshot that is dumped, so a restore can be checked against them
exactly while the app keeps writing during the backup.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _
from psycopg.conninfo import make_conninfo

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEDIA_ARCHIVE_NAME = "media.tar"
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024
# What restore reads from the manifest: each section and the keys it must hold.
MANIFEST_KEYS = {
    "database": {"engine", "file", "sha256", "size"},
    "media": {"file", "sha256", "size", "files"},
    "row_counts": set(),
    "migrations": set(),
}
# Settings keys of Django's PostgreSQL backend that are not libpq connection parameters.
DJANGO_ONLY_PG_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Target:
    """Where a backup comes from or goes to: a database connection's settings and a media
    folder."""

    database: dict[str, Any]
    media_root: Path

    @property
    def engine(self) -> str:
        engine = self.database["ENGINE"]
        if engine.endswith("postgresql"):
            return "postgresql"
        if engine.endswith("sqlite3"):
            return "sqlite"
        raise BackupError(
            _("Backups support PostgreSQL and SQLite, not %(engine)s.") % {"engine": engine}
        )


def target_configured(alias: str = "default") -> Target:
    """The app's own database and media folder, as the settings configure them."""
    return Target(
        database=dict(connections[alias].settings_dict), media_root=Path(settings.MEDIA_ROOT)
    )


# ---------------------------------------------------------------- files and hashes


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


class _HashingReader:
    """Hashes the bytes as tarfile reads them, so the hash is of exactly what was archived."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def media_files(media_root: Path) -> Iterator[tuple[str, Path]]:
    """(name relative to the media folder, path) of every regular file, in a stable order.
    Symbolic links are not followed: uploads are regular files."""
    if not media_root.is_dir():
        return
    for folder, dirnames, filenames in os.walk(media_root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(folder) / filename
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(media_root).as_posix(), path


def media_digests(media_root: Path) -> dict[str, dict[str, Any]]:
    return {name: file_digest(path) for name, path in media_files(media_root)}


def media_archive_write(*, media_root: Path, destination: Path) -> dict[str, dict[str, Any]]:
    """Write every media file into a tar; returns each file's SHA-256 and size."""
    digests: dict[str, dict[str, Any]] = {}
    with tarfile.open(destination, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in media_files(media_root):
            info = tarfile.TarInfo(name)
            stat = path.stat()
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
            with path.open("rb") as stream:
                reader = _HashingReader(stream)
                archive.addfile(info, reader)
            digests[name] = {"sha256": reader.digest.hexdigest(), "size": info.size}
    return digests


# ---------------------------------------------------------------- PostgreSQL


def _pg_params(database: dict[str, Any]) -> tuple[str, str | None]:
    """libpq connection string (without the password) and the password, for psycopg and
    for pg_dump/pg_restore (which get the password in PGPASSWORD, never on the command line)."""
    params = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "host": database.get("HOST") or None,
        "port": str(database["PORT"]) if database.get("PORT") else None,
    }
    for key, value in (database.get("OPTIONS") or {}).items():
        if key not in DJANGO_ONLY_PG_OPTIONS and isinstance(value, str | int):
            params[key] = str(value)
    return make_conninfo(**{k: v for k, v in params.items() if v is not None}), (
        database.get("PASSWORD") or None
    )


def _pg_connect(database: dict[str, Any]) -> psycopg.Connection:
    conninfo, password = _pg_params(database)
    try:
        return psycopg.connect(conninfo, password=password, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise BackupError(
            _("Cannot connect to the PostgreSQL database %(name)s: %(error)s")
            % {"name": database["NAME"], "error": error}
        ) from None


def pg_program(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        _("%(program)s was not found. Install the PostgreSQL client tools (postgresql-client).")
        % {"program": name}
    )


def _pg_run(program: str, args: list[str], database: dict[str, Any]) -> None:
    conninfo, password = _pg_params(database)
    env = {**os.environ}
    if password:
        env["PGPASSWORD"] = password
    result = subprocess.run(
        [pg_program(program), *args, f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed (exit %(code)d): %(error)s")
            % {
                "program": program,
                "code": result.returncode,
                "error": result.stderr.strip()[-2000:],
            }
        )


_PG_USER_RELATIONS = """
    SELECT n.nspname, c.relname, c.relkind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ({kinds})
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
    ORDER BY n.nspname, c.relname
"""


def _pg_table_names(cursor: Any) -> list[tuple[str, str]]:
    cursor.execute(_PG_USER_RELATIONS.format(kinds="'r', 'p'"))
    return [(schema, name) for schema, name, _kind in cursor.fetchall()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_counts(cursor: Any) -> tuple[dict[str, int], dict[str, str]]:
    counts = {}
    for schema, name in _pg_table_names(cursor):
        key = name if schema == "public" else f"{schema}.{name}"
        table = f"{_quote(schema)}.{_quote(name)}"
        # Table names from the database's own catalogue, quoted: not user input.
        query = f"SELECT count(*) FROM {table}"  # nosec B608
        counts[key] = cursor.execute(query).fetchone()[0]
    return counts, _migrations(cursor, counts)


def _pg_dump(*, database: dict[str, Any], destination: Path) -> tuple[dict, dict]:
    """Dump in the snapshot the row counts are taken in, so both describe the same data."""
    with _pg_connect(database) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts, migrations = _pg_counts(cursor)
            # The exporting transaction stays open until pg_dump has imported the snapshot.
            _pg_run(
                "pg_dump",
                ["--format=custom", f"--snapshot={snapshot}", f"--file={destination}"],
                database,
            )
        connection.rollback()
    return counts, migrations


def _pg_relations(database: dict[str, Any]) -> list[tuple[str, str, str]]:
    with _pg_connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(_PG_USER_RELATIONS.format(kinds="'r', 'p', 'v', 'm', 'S', 'f'"))
        return cursor.fetchall()


# The app's own functions (the data version's triggers), not those of extensions.
_PG_USER_FUNCTIONS = """
    SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
      AND NOT EXISTS (
          SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'
      )
"""


def _pg_drop_everything(database: dict[str, Any]) -> None:
    """Drop every table, view, sequence and function of the app, in one transaction.
    Tables go first: a sequence a column owns can only go with its table."""
    statements = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW"}
    statements |= {"m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    relations = sorted(_pg_relations(database), key=lambda row: list(statements).index(row[2]))
    with _pg_connect(database) as connection, connection.cursor() as cursor:
        for schema, name, kind in relations:
            cursor.execute(
                f"DROP {statements[kind]} IF EXISTS {_quote(schema)}.{_quote(name)} CASCADE"
            )
        for schema, name, arguments in cursor.execute(_PG_USER_FUNCTIONS).fetchall():
            # Names from the database's own catalogue, quoted: not user input.
            cursor.execute(
                f"DROP FUNCTION IF EXISTS {_quote(schema)}.{_quote(name)}({arguments}) CASCADE"
            )


# ---------------------------------------------------------------- SQLite


def _sqlite_counts(connection: sqlite3.Connection) -> tuple[dict[str, int], dict[str, str]]:
    cursor = connection.cursor()
    names = [
        row[0]
        for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\' ORDER BY name"
        )
    ]
    counts = {}
    for name in names:
        # Table names from the database's own catalogue, quoted: not user input.
        query = f"SELECT count(*) FROM {_quote(name)}"  # nosec B608
        counts[name] = cursor.execute(query).fetchone()[0]
    return counts, _migrations(cursor, counts)


def _sqlite_copy(*, source: Path, destination: Path) -> None:
    """SQLite's online backup API, in one step, i.e. one read transaction: the copy is
    consistent even while other connections write to the source. The destination's
    content is replaced as a whole."""
    from_db = sqlite3.connect(source, timeout=20)
    to_db = sqlite3.connect(destination, timeout=20)
    try:
        from_db.backup(to_db)
    except sqlite3.Error as error:
        raise BackupError(
            _("SQLite could not copy %(source)s to %(destination)s: %(error)s")
            % {"source": source, "destination": destination, "error": error}
        ) from None
    finally:
        to_db.close()
        from_db.close()


def _sqlite_dump(*, database: dict[str, Any], destination: Path) -> tuple[dict, dict]:
    source = Path(database["NAME"])
    if not source.is_file():
        raise BackupError(_("The SQLite database %(path)s does not exist.") % {"path": source})
    _sqlite_copy(source=source, destination=destination)
    connection = sqlite3.connect(destination)
    try:
        # A file on its own, without a -wal beside it.
        connection.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_counts(connection)
    finally:
        connection.close()


def _sqlite_table_names(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    connection = sqlite3.connect(path, timeout=20)
    try:
        return [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        ]
    except sqlite3.DatabaseError as error:
        raise BackupError(
            _("%(path)s is not a SQLite database (%(error)s).") % {"path": path, "error": error}
        ) from None
    finally:
        connection.close()


# ---------------------------------------------------------------- both engines


def _migrations(cursor: Any, counts: dict[str, int]) -> dict[str, str]:
    """The latest applied migration of every app."""
    if "django_migrations" not in counts:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY applied, id")
    return dict(cursor.fetchall())


def database_state(target: Target) -> tuple[dict[str, int], dict[str, str]]:
    """Row count of every table, and the latest applied migration per app, as they are now."""
    if target.engine == "postgresql":
        with _pg_connect(target.database) as connection, connection.cursor() as cursor:
            return _pg_counts(cursor)
    connection = sqlite3.connect(target.database["NAME"], timeout=20)
    try:
        return _sqlite_counts(connection)
    finally:
        connection.close()


def database_relations(target: Target) -> list[str]:
    """Tables, views and sequences in the target database: empty means none at all."""
    if target.engine == "postgresql":
        return [f"{schema}.{name}" for schema, name, _kind in _pg_relations(target.database)]
    return _sqlite_table_names(Path(target.database["NAME"]))


def media_entries(media_root: Path) -> list[str]:
    """Whatever is in the media folder apart from empty folders: empty means none."""
    if not media_root.exists():
        return []
    return sorted(
        path.relative_to(media_root).as_posix()
        for path in media_root.rglob("*")
        if path.is_symlink() or not path.is_dir()
    )


def _app_version() -> dict[str, str | None]:
    try:
        with (settings.BASE_DIR / "pyproject.toml").open("rb") as stream:
            version = tomllib.load(stream)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        version = None
    commit = None
    git = shutil.which("git")
    if (settings.BASE_DIR / ".git").exists() and git:
        result = subprocess.run(
            [git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if result.returncode == 0:
            commit = result.stdout.strip() or None
    return {"version": version, "git_commit": commit}


# ---------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def backup_create(*, output_dir: Path, source: Target | None = None) -> BackupResult:
    """Dump the database, then archive the media folder (so every file the dump refers to
    is there), and write both with their manifest into one new tar file in `output_dir`."""
    source = source or target_configured()
    engine = source.engine
    created_at = datetime.now(UTC)
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".backup-") as work:
        dump = Path(work) / DUMP_NAMES[engine]
        dumper = _pg_dump if engine == "postgresql" else _sqlite_dump
        row_counts, migrations = dumper(database=source.database, destination=dump)
        media_archive = Path(work) / MEDIA_ARCHIVE_NAME
        files = media_archive_write(media_root=source.media_root, destination=media_archive)
        manifest = {
            "format": "hitech-zone-backup",
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(timespec="seconds"),
            "app": _app_version(),
            "database": {"engine": engine, "file": dump.name, **file_digest(dump)},
            "migrations": migrations,
            "row_counts": row_counts,
            "media": {"file": media_archive.name, **file_digest(media_archive), "files": files},
        }
        manifest_path = Path(work) / MANIFEST_NAME
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
        stamp = created_at.strftime("%Y%m%dT%H%M%SZ")
        path = output_dir / f"hitech-zone-{stamp}.tar"
        counter = 1
        while path.exists():
            counter += 1
            path = output_dir / f"hitech-zone-{stamp}-{counter}.tar"
        # Written under a temporary name and renamed, so a half-written backup never looks
        # like a finished one; readable by its owner only, as it holds password hashes.
        partial = Path(work) / "partial.tar"
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for member in (manifest_path, dump, media_archive):
                    archive.add(member, arcname=member.name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        partial.rename(path)
    return BackupResult(path=path, manifest=manifest)


# ---------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    tables: int
    rows: int
    media_files: int
    migrations_unknown: list[str]
    migrations_behind: list[str]


def manifest_read(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST_NAME)
    except KeyError:
        raise BackupError(_("This is not a hitech-zone backup: it has no manifest.json.")) from None
    stream = archive.extractfile(member)
    if stream is None:
        raise BackupError(_("This is not a hitech-zone backup: it has no manifest.json."))
    try:
        manifest = json.load(stream)
    except ValueError as error:
        raise BackupError(_("The manifest cannot be read: %(error)s") % {"error": error}) from None
    if not isinstance(manifest, dict) or (
        manifest.get("format") != "hitech-zone-backup"
        or manifest.get("format_version") != FORMAT_VERSION
    ):
        found = manifest if isinstance(manifest, dict) else {}
        raise BackupError(
            _("Unsupported backup format %(format)s version %(version)s.")
            % {"format": found.get("format"), "version": found.get("format_version")}
        )
    for section, keys in MANIFEST_KEYS.items():
        value = manifest.get(section)
        if not isinstance(value, dict) or not keys <= set(value):
            raise BackupError(
                _("The manifest is incomplete: “%(section)s” is missing or damaged.")
                % {"section": section}
            )
    return manifest


def _extract_verified(archive: tarfile.TarFile, entry: dict[str, Any], destination: Path) -> Path:
    """Copy one member of the backup out and check it against its SHA-256 and size."""
    try:
        member = archive.getmember(entry["file"])
    except KeyError:
        raise BackupError(_("The backup has no %(file)s.") % {"file": entry["file"]}) from None
    stream = archive.extractfile(member) if member.isreg() else None
    if stream is None:
        raise BackupError(
            _("%(file)s in the backup is not a regular file.") % {"file": entry["file"]}
        )
    path = destination / PurePosixPath(entry["file"]).name
    with path.open("wb") as out:
        reader = _HashingReader(stream)
        shutil.copyfileobj(reader, out, CHUNK)
    digest = {"sha256": reader.digest.hexdigest(), "size": path.stat().st_size}
    if digest != {"sha256": entry["sha256"], "size": entry["size"]}:
        raise BackupError(
            _(
                "%(file)s does not match the manifest (SHA-256 %(actual)s, expected %(expected)s): "
                "the backup is damaged or was altered. Nothing was restored."
            )
            % {"file": entry["file"], "actual": digest["sha256"], "expected": entry["sha256"]}
        )
    return path


def media_members_validate(
    archive: tarfile.TarFile, *, media_root: Path, files: dict[str, dict[str, Any]]
) -> list[tarfile.TarInfo]:
    """The media archive's members, if every one is a regular file with a plain relative
    name inside the media folder and the set matches the manifest; else BackupError."""
    root = media_root.resolve()
    members, seen = [], set()
    for member in archive.getmembers():
        name = member.name
        path = PurePosixPath(name)
        unsafe = (
            not name
            or path.is_absolute()
            or ".." in path.parts
            or "\x00" in name
            or not (member.isreg() or member.isdir())
            or not (root / path).resolve().is_relative_to(root)
        )
        if unsafe:
            raise BackupError(
                _("Unsafe member in the media archive, refused: %(name)s (%(kind)s).")
                % {"name": name, "kind": _member_kind(member)}
            )
        if member.isdir():
            continue
        if name in seen or name not in files or files[name]["size"] != member.size:
            raise BackupError(
                _("The media archive does not match the manifest at %(name)s.") % {"name": name}
            )
        seen.add(name)
        members.append(member)
    missing = sorted(set(files) - seen)
    if missing:
        raise BackupError(
            _("Media files in the manifest are missing from the archive: %(names)s")
            % {"names": ", ".join(missing[:10])}
        )
    return members


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hard link"
    if member.isreg():
        return "file"
    if member.isdir():
        return "directory"
    return "special file"


def _media_extract(
    archive: tarfile.TarFile, *, members: list[tarfile.TarInfo], media_root: Path
) -> None:
    """Extract members checked by media_members_validate; with the tarfile "data" filter
    where this Python has it, as a second guard."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(media_root, members=members, filter="data")
        return
    # Python 3.11 before 3.11.4: no filters; write the regular files' bytes, nothing else.
    for member in members:  # pragma: no cover
        path = media_root / PurePosixPath(member.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = archive.extractfile(member)
        with path.open("xb") as out:
            shutil.copyfileobj(stream, out, CHUNK)


def _media_clear(media_root: Path) -> None:
    if not media_root.exists():
        return
    for child in media_root.iterdir():
        if child.is_symlink() or not child.is_dir():
            child.unlink()
        else:
            shutil.rmtree(child)


def _database_restore(*, target: Target, dump: Path) -> None:
    if target.engine == "postgresql":
        # One transaction: a restore that fails leaves the database as empty as it found it.
        _pg_run(
            "pg_restore",
            ["--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", str(dump)],
            target.database,
        )
        return
    destination = Path(target.database["NAME"])
    destination.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source=dump, destination=destination)


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {expected.get(key, '—')} ≠ {actual.get(key, '—')}"
        for key in sorted(set(expected) | set(actual))
        if expected.get(key) != actual.get(key)
    ]


def migration_drift(migrations: dict[str, str]) -> tuple[list[str], list[str]]:
    """(apps whose backed-up migration this code does not know: a backup from newer code;
    apps where this code has newer migrations than the backup: run migrate)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = dict(loader.graph.leaf_nodes())
    unknown = sorted(
        f"{app}.{name}"
        for app, name in migrations.items()
        if (app, name) not in loader.disk_migrations
    )
    behind = sorted(
        f"{app}.{leaf}"
        for app, leaf in leaves.items()
        if app not in migrations
        or (migrations[app] != leaf and f"{app}.{migrations[app]}" not in unknown)
    )
    return unknown, behind


def backup_restore(
    *, archive_path: Path, force: bool = False, target: Target | None = None
) -> RestoreResult:
    """Restore a backup into an empty database and media folder, after checking the dump's
    and the media archive's SHA-256; then recount and rehash against the manifest.

    Empty means: the database has no tables, views or sequences (a database just made by
    createdb, or a new SQLite file) and the media folder holds nothing but empty folders.
    `force` first drops every table, view and sequence of the target database and deletes
    everything in the media folder."""
    target = target or target_configured()
    with (
        tempfile.TemporaryDirectory(prefix="hitech-restore-") as work,
        tarfile.open(archive_path, "r:") as archive,
    ):
        manifest = manifest_read(archive)
        if manifest["database"]["engine"] != target.engine:
            raise BackupError(
                _("This backup is of a %(backup)s database; the target is %(target)s.")
                % {"backup": manifest["database"]["engine"], "target": target.engine}
            )
        relations, entries = database_relations(target), media_entries(target.media_root)
        if (relations or entries) and not force:
            raise BackupError(
                _(
                    "The target is not empty (database: %(relations)d tables, views or sequences; "
                    "media folder: %(files)d files). Restore into a new database and an empty "
                    "media folder, or pass --force to delete what is there first."
                )
                % {"relations": len(relations), "files": len(entries)}
            )
        work_dir = Path(work)
        dump = _extract_verified(archive, manifest["database"], work_dir)
        media_archive_path = _extract_verified(archive, manifest["media"], work_dir)
        with tarfile.open(media_archive_path, "r:") as media_archive:
            members = media_members_validate(
                media_archive, media_root=target.media_root, files=manifest["media"]["files"]
            )
            if force:
                if target.engine == "postgresql":
                    _pg_drop_everything(target.database)
                _media_clear(target.media_root)
            _database_restore(target=target, dump=dump)
            target.media_root.mkdir(parents=True, exist_ok=True)
            _media_extract(media_archive, members=members, media_root=target.media_root)
    return _restore_verify(target=target, manifest=manifest)


def _restore_verify(*, target: Target, manifest: dict[str, Any]) -> RestoreResult:
    counts, migrations = database_state(target)
    problems = []
    if row_differences := _differences(manifest["row_counts"], counts):
        problems.append(
            _("row counts (manifest ≠ restored): %(list)s")
            % {"list": "; ".join(row_differences[:20])}
        )
    if migration_differences := _differences(manifest["migrations"], migrations):
        problems.append(_("migrations: %(list)s") % {"list": "; ".join(migration_differences[:20])})
    expected_media = manifest["media"]["files"]
    actual_media = media_digests(target.media_root)
    if media_differences := sorted(
        name
        for name in set(expected_media) | set(actual_media)
        if expected_media.get(name) != actual_media.get(name)
    ):
        problems.append(_("media files: %(list)s") % {"list": ", ".join(media_differences[:20])})
    if problems:
        raise BackupError(
            _("The restored data does not match the manifest. %(problems)s")
            % {"problems": " | ".join(problems)}
        )
    unknown, behind = migration_drift(manifest["migrations"])
    return RestoreResult(
        manifest=manifest,
        tables=len(counts),
        rows=sum(counts.values()),
        media_files=len(actual_media),
        migrations_unknown=unknown,
        migrations_behind=behind,
    )
