"""Backups that restore (`manage.py backup` / `manage.py restore`, hitech_zone/backup.py):
a backup of real data is restored into a fresh database and an empty media folder by a
separate process, and the restored rows and files are compared with the manifest and with
the source; damaged archives, unsafe media archives and non-empty targets are refused.

The source of the round trip is this run's own test database when it is of the engine
under test; otherwise a scratch database of that engine, migrated and loaded with the
demo data by `manage.py` in a subprocess (PostgreSQL at 127.0.0.1:5432, or
BACKUP_TEST_POSTGRES_URL; the PostgreSQL test is skipped only when no server answers).
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from hitech_zone import backup
from hitech_zone.demo import load_demo
from inspections.models import VisitPhoto
from tests import factories

ROOT = Path(__file__).resolve().parent.parent.parent
POSTGRES_SERVER_URL = os.environ.get(
    "BACKUP_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
SUITE_ENGINE = "postgresql" if connection.vendor == "postgresql" else "sqlite"
# Bytes of the media files every source carries: a photo and its thumbnail under a Chinese
# name, and a briefing PDF, each with the photo rows that refer to them.
PHOTO = os.urandom(50_000)
THUMBNAIL = os.urandom(4_000)
BRIEFING_PDF = b"%PDF-1.4\n% stand-in\n" + os.urandom(1_000)


# ---------------------------------------------------------------- helpers


def subprocess_env(*, database_url: str, media_root: Path, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "VAR_DIR": str(var_dir),
    }
    # The file broker under var_dir: nothing here enqueues, and no shared Redis is touched.
    env.pop("REDIS_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def manage_ok(*args: str, env: dict[str, str]) -> str:
    result = manage(*args, env=env)
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result.stdout


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def media_tree(media_root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(media_root).as_posix(): path.read_bytes()
        for path in sorted(media_root.rglob("*"))
        if path.is_file()
    }


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows in every table, read with sqlite3 itself, not with the code under test."""
    with sqlite3.connect(path) as db:
        names = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        ]
        counts = {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }
    db.close()
    return counts


def postgres_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        names = [
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def restored_photo_paths(engine: str, location: str) -> list[str]:
    query = "SELECT image, thumbnail FROM inspections_visitphoto"
    if engine == "sqlite":
        with sqlite3.connect(location) as db:
            rows = db.execute(query).fetchall()
        db.close()
    else:
        import psycopg

        with psycopg.connect(location) as db:
            rows = db.execute(query).fetchall()
    return [path for row in rows for path in row]


def postgres_url(server: dict, name: str) -> str:
    user = server.get("USER") or ""
    password = f":{server['PASSWORD']}" if server.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{server['PORT']}" if server.get("PORT") else ""
    return f"postgres://{auth}{server.get('HOST') or 'localhost'}{port}/{name}"


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def pg_command(program: str, server: dict, *args: str) -> None:
    env = {**os.environ, "PGPASSWORD": server.get("PASSWORD") or ""}
    subprocess.run(
        [
            program,
            "-h",
            server.get("HOST") or "localhost",
            "-p",
            str(server.get("PORT") or 5432),
            "-U",
            server.get("USER") or "postgres",
            *args,
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def scratch_postgres() -> Iterator:
    """scratch_postgres(server) -> a new empty database's name; dropped after the test."""
    made: list[tuple[dict, str]] = []

    def make(server: dict) -> str:
        name = f"backup_test_{uuid.uuid4().hex[:10]}"
        pg_command("createdb", server, name)
        made.append((server, name))
        return name

    yield make
    for server, name in made:
        pg_command("dropdb", server, "--force", "--if-exists", name)


def write_media(media_root: Path, visit_id: int) -> None:
    photo_dir = media_root / "visits" / str(visit_id)
    photo_dir.mkdir(parents=True, exist_ok=True)
    (photo_dir / "现场照片.jpg").write_bytes(PHOTO)
    (photo_dir / "现场照片-thumb.jpg").write_bytes(THUMBNAIL)
    briefing_dir = media_root / "briefings" / "weekly"
    briefing_dir.mkdir(parents=True, exist_ok=True)
    (briefing_dir / "2026-W10-v1.pdf").write_bytes(BRIEFING_PDF)


@dataclass
class Source:
    """A backup and what it was taken of: the row counts and media files of the source."""

    archive: Path
    counts: dict[str, int]
    media: dict[str, bytes]

    @property
    def manifest(self) -> dict:
        with tarfile.open(self.archive) as archive:
            return json.load(archive.extractfile("manifest.json"))


def source_from_test_database(tmp_path: Path, settings) -> Source:
    """This run's test database (its engine), loaded in-process, backed up by the command."""
    media_root = tmp_path / "source-media"
    settings.MEDIA_ROOT = media_root
    load_demo()
    project = factories.ProjectFactory(code="T-BACKUP", name="备份测试项目")
    visit = factories.SiteVisitFactory(project=project)
    factories.IssueFactory(project=project)
    write_media(media_root, visit.pk)
    VisitPhoto.objects.create(
        visit=visit,
        image=f"visits/{visit.pk}/现场照片.jpg",
        thumbnail=f"visits/{visit.pk}/现场照片-thumb.jpg",
        original_name="现场照片.jpg",
    )
    out = io.StringIO()
    call_command("backup", output_dir=tmp_path / "backups", stdout=out)
    archive = Path(out.getvalue().strip().splitlines()[-1])
    with connection.cursor() as cursor:
        counts = {
            name: cursor.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in connection.introspection.table_names(cursor)
        }
    return Source(archive=archive, counts=counts, media=media_tree(media_root))


def source_from_scratch(tmp_path: Path, database_url: str, counter) -> Source:
    """A scratch database migrated and loaded with the demo data by manage.py, plus a photo
    row and the media files, backed up by `manage.py backup` in a subprocess."""
    media_root = tmp_path / "source-media"
    env = subprocess_env(database_url=database_url, media_root=media_root, var_dir=tmp_path / "var")
    manage_ok("migrate", "--noinput", "-v0", env=env)
    manage_ok("load_demo", env=env)
    visit_id = manage_ok(
        "shell",
        "-c",
        "from inspections.models import SiteVisit, VisitPhoto; v = SiteVisit.objects.first(); "
        "VisitPhoto.objects.create(visit=v, image=f'visits/{v.pk}/现场照片.jpg', "
        "thumbnail=f'visits/{v.pk}/现场照片-thumb.jpg', original_name='现场照片.jpg'); print(v.pk)",
        env=env,
    ).split()[-1]
    write_media(media_root, int(visit_id))
    stdout = manage_ok("backup", "--output-dir", str(tmp_path / "backups"), env=env)
    archive = Path(stdout.strip().splitlines()[-1])
    return Source(archive=archive, counts=counter(), media=media_tree(media_root))


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory) -> Source:
    """A backup of a scratch SQLite database with the demo data and media files, for the
    refusals (it does not depend on this run's engine)."""
    work = tmp_path_factory.mktemp("demo-backup")
    database = work / "source.sqlite3"
    return source_from_scratch(work, f"sqlite:///{database}", lambda: sqlite_counts(database))


# ---------------------------------------------------------------- the round trip


def assert_manifest_describes(source: Source, engine: str) -> dict:
    manifest = source.manifest
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["database"]["engine"] == engine
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["app"]["version"]
    # Every table, Django's and the history tables included, with the source's own counts.
    assert manifest["row_counts"] == source.counts
    assert {"django_migrations", "projects_historicalproject", "hitech_zone_user"} <= set(
        manifest["row_counts"]
    )
    assert manifest["row_counts"]["projects_project"] >= 28
    # The demo's 7 visit photos and the one this test adds.
    assert manifest["row_counts"]["inspections_visitphoto"] == 8
    leaves = dict(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
    assert manifest["migrations"]["projects"] == leaves["projects"]
    assert manifest["migrations"]["hitech_zone"] == leaves["hitech_zone"]
    assert manifest["media"]["files"] == {
        name: {"sha256": sha256(data), "size": len(data)} for name, data in source.media.items()
    }
    # This test's 3 files, and the demo's 7 photos with their thumbnails.
    assert len(manifest["media"]["files"]) == 3 + 7 * 2
    with tarfile.open(source.archive) as archive:
        dump = archive.extractfile(manifest["database"]["file"]).read()
    assert sha256(dump) == manifest["database"]["sha256"]
    assert len(dump) == manifest["database"]["size"]
    assert source.archive.stat().st_mode & 0o077 == 0, "a backup holds password hashes"
    return manifest


def assert_restored(*, source: Source, manifest: dict, engine: str, location: str, media: Path):
    restored = sqlite_counts(Path(location)) if engine == "sqlite" else postgres_counts(location)
    assert restored == manifest["row_counts"] == source.counts
    assert media_tree(media) == source.media
    # Every photo row finds its file, with the bytes backed up (this test's photo and the
    # demo's).
    for path in restored_photo_paths(engine, location):
        assert (media / path).read_bytes() == source.media[str(path)]
    assert {PHOTO, THUMBNAIL} <= set(source.media.values())


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_a_fresh_database(tmp_path, settings):
    if SUITE_ENGINE == "sqlite":
        source = source_from_test_database(tmp_path, settings)
    else:
        database = tmp_path / "source.sqlite3"
        source = source_from_scratch(
            tmp_path, f"sqlite:///{database}", lambda: sqlite_counts(database)
        )
    manifest = assert_manifest_describes(source, "sqlite")

    target, media = tmp_path / "restored" / "db.sqlite3", tmp_path / "restored-media"
    env = subprocess_env(
        database_url=f"sqlite:///{target}", media_root=media, var_dir=tmp_path / "restore-var"
    )
    stdout = manage_ok("restore", str(source.archive), env=env)
    assert str(sum(manifest["row_counts"].values())) in stdout

    assert_restored(
        source=source, manifest=manifest, engine="sqlite", location=str(target), media=media
    )
    # The app sees a completely migrated database.
    manage_ok("migrate", "--check", env=env)


@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_into_a_fresh_database(tmp_path, settings, scratch_postgres):
    if SUITE_ENGINE == "postgresql":
        server = dict(connection.settings_dict)
        source = source_from_test_database(tmp_path, settings)
    else:
        if not postgres_reachable(POSTGRES_SERVER_URL):
            pytest.skip(
                f"no PostgreSQL server answers at {POSTGRES_SERVER_URL} (set "
                "BACKUP_TEST_POSTGRES_URL): the PostgreSQL backup cannot be tried"
            )
        server = dj_database_url.parse(POSTGRES_SERVER_URL)
        source_url = postgres_url(server, scratch_postgres(server))
        source = source_from_scratch(tmp_path, source_url, lambda: postgres_counts(source_url))
    manifest = assert_manifest_describes(source, "postgresql")
    with tarfile.open(source.archive) as archive:
        assert archive.extractfile("database.dump").read(5) == b"PGDMP", "pg_dump -Fc"

    target_url = postgres_url(server, scratch_postgres(server))
    media = tmp_path / "restored-media"
    env = subprocess_env(database_url=target_url, media_root=media, var_dir=tmp_path / "rv")
    manage_ok("restore", str(source.archive), env=env)

    assert_restored(
        source=source, manifest=manifest, engine="postgresql", location=target_url, media=media
    )
    manage_ok("migrate", "--check", env=env)
    # A second restore into the now filled database is refused; --force replaces it.
    refused = manage("restore", str(source.archive), env=env)
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    manage_ok("restore", "--force", str(source.archive), env=env)
    assert postgres_counts(target_url) == manifest["row_counts"]


# ---------------------------------------------------------------- refusals


def rewrite_archive(source: Path, destination: Path, **replace: bytes) -> Path:
    """A copy of a backup with some members' bytes replaced (keyword: member name with
    dots as underscores)."""
    replacements = {name.replace("_", "."): data for name, data in replace.items()}
    with tarfile.open(source) as old, tarfile.open(destination, "w") as new:
        for member in old.getmembers():
            data = replacements.get(member.name) or old.extractfile(member).read()
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return destination


def member_bytes(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read()


@pytest.fixture
def empty_target(tmp_path):
    database, media = tmp_path / "target" / "db.sqlite3", tmp_path / "target-media"
    env = subprocess_env(
        database_url=f"sqlite:///{database}", media_root=media, var_dir=tmp_path / "target-var"
    )
    return database, media, env


def assert_untouched(database: Path, media: Path) -> None:
    assert not database.exists()
    assert not media.exists() or media_tree(media) == {}


def test_a_changed_byte_in_the_dump_is_refused(demo_backup, tmp_path, empty_target):
    dump = bytearray(member_bytes(demo_backup.archive, "database.sqlite3"))
    dump[len(dump) // 2] ^= 0xFF
    tampered = rewrite_archive(
        demo_backup.archive, tmp_path / "tampered.tar", database_sqlite3=bytes(dump)
    )
    database, media, env = empty_target

    result = manage("restore", str(tampered), env=env)

    assert result.returncode != 0
    assert "database.sqlite3" in result.stderr
    assert demo_backup.manifest["database"]["sha256"] in result.stderr
    assert_untouched(database, media)


def test_a_changed_byte_in_a_media_file_is_refused(demo_backup, tmp_path, empty_target):
    media_tar = io.BytesIO(member_bytes(demo_backup.archive, "media.tar"))
    changed = io.BytesIO()
    with (
        tarfile.open(fileobj=media_tar) as inner,
        tarfile.open(fileobj=changed, mode="w", format=tarfile.PAX_FORMAT) as new,
    ):
        for member in inner.getmembers():
            data = bytearray(inner.extractfile(member).read())
            if member.name.endswith("现场照片.jpg"):
                data[100] ^= 0x01
            new.addfile(member, io.BytesIO(bytes(data)))
    tampered = rewrite_archive(
        demo_backup.archive, tmp_path / "tampered.tar", media_tar=changed.getvalue()
    )
    database, media, env = empty_target

    result = manage("restore", str(tampered), env=env)

    assert result.returncode != 0
    assert "media.tar" in result.stderr
    assert_untouched(database, media)


@pytest.mark.parametrize(
    "member",
    [
        pytest.param(("../escaped.txt", tarfile.REGTYPE, ""), id="dot-dot"),
        pytest.param(("/tmp/absolute-h3.txt", tarfile.REGTYPE, ""), id="absolute"),
        pytest.param(("visits/link", tarfile.SYMTYPE, "/etc"), id="symlink-out"),
        pytest.param(("visits/hard", tarfile.LNKTYPE, "/etc/passwd"), id="hard-link"),
    ],
)
def test_an_unsafe_media_member_is_refused_before_anything_is_written(
    demo_backup, tmp_path, member
):
    """Even with every hash in order (made by someone, not by damage), a media archive
    that would write outside the media folder is refused."""
    name, kind, link = member
    media_tar = io.BytesIO(member_bytes(demo_backup.archive, "media.tar"))
    crafted = io.BytesIO()
    with tarfile.open(fileobj=media_tar) as inner, tarfile.open(fileobj=crafted, mode="w") as new:
        for existing in inner.getmembers():
            new.addfile(existing, inner.extractfile(existing))
        evil = tarfile.TarInfo(name)
        evil.type, evil.linkname = kind, link
        payload = b"outside" if kind == tarfile.REGTYPE else b""
        evil.size = len(payload)
        new.addfile(evil, io.BytesIO(payload))
    manifest = demo_backup.manifest
    manifest["media"]["sha256"] = sha256(crafted.getvalue())
    manifest["media"]["size"] = len(crafted.getvalue())
    if kind == tarfile.REGTYPE:
        manifest["media"]["files"][name] = {"sha256": sha256(payload), "size": len(payload)}
    crafted_archive = rewrite_archive(
        demo_backup.archive,
        tmp_path / "crafted.tar",
        media_tar=crafted.getvalue(),
        manifest_json=json.dumps(manifest).encode(),
    )
    media = tmp_path / "deep" / "media"
    database = tmp_path / "db.sqlite3"
    target = backup.Target(
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}, media_root=media
    )

    with pytest.raises(backup.BackupError, match="Unsafe member|不安全"):
        backup.backup_restore(archive_path=crafted_archive, target=target)

    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not Path("/tmp/absolute-h3.txt").exists()
    assert not database.exists()
    assert not media.exists()


def test_a_target_with_data_is_refused_and_force_replaces_it(demo_backup, empty_target):
    database, media, env = empty_target
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE earlier (x)")
        db.execute("INSERT INTO earlier VALUES (1)")
    db.close()
    (media / "visits").mkdir(parents=True)
    (media / "visits" / "stray.jpg").write_bytes(b"stray")

    refused = manage("restore", str(demo_backup.archive), env=env)

    assert refused.returncode != 0
    assert "--force" in refused.stderr
    assert sqlite_counts(database) == {"earlier": 1}
    assert media_tree(media) == {"visits/stray.jpg": b"stray"}

    manage_ok("restore", "--force", str(demo_backup.archive), env=env)

    assert sqlite_counts(database) == demo_backup.manifest["row_counts"] == demo_backup.counts
    assert media_tree(media) == demo_backup.media


def test_a_media_folder_with_files_is_refused_even_with_an_empty_database(
    demo_backup, empty_target
):
    database, media, env = empty_target
    media.mkdir(parents=True)
    (media / "left-over.pdf").write_bytes(b"%PDF")
    (media / "empty-folder").mkdir()

    refused = manage("restore", str(demo_backup.archive), env=env)

    assert refused.returncode != 0
    assert not database.exists()
    assert media_tree(media) == {"left-over.pdf": b"%PDF"}


def test_an_empty_media_folder_with_empty_subfolders_counts_as_empty(demo_backup, empty_target):
    database, media, env = empty_target
    (media / "visits").mkdir(parents=True)

    manage_ok("restore", str(demo_backup.archive), env=env)

    assert media_tree(media) == demo_backup.media


def test_a_backup_of_the_other_engine_is_refused(demo_backup, tmp_path):
    target = backup.Target(
        database={"ENGINE": "django.db.backends.postgresql", "NAME": "nowhere"},
        media_root=tmp_path / "media",
    )
    with pytest.raises(backup.BackupError, match="sqlite"):
        backup.backup_restore(archive_path=demo_backup.archive, target=target)


def test_sqlite_backup_runs_while_another_connection_is_writing(tmp_path):
    """SQLite's online backup neither waits for a connection in the middle of a write nor
    copies its uncommitted rows, and the manifest counts exactly what the copy holds."""
    source = tmp_path / "live.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE readings (n INTEGER)")
        db.executemany("INSERT INTO readings VALUES (?)", [(n,) for n in range(20_000)])
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO readings VALUES (-1)")  # not committed: not in the backup

    result = backup.backup_create(
        output_dir=tmp_path / "out",
        source=backup.Target(
            database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(source)},
            media_root=tmp_path / "no-media",
        ),
    )
    writer.execute("COMMIT")
    writer.close()
    db.close()

    assert result.manifest["row_counts"] == {"readings": 20_000}
    assert result.manifest["media"]["files"] == {}
    restored = tmp_path / "restored.sqlite3"
    backup.backup_restore(
        archive_path=result.path,
        target=backup.Target(
            database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(restored)},
            media_root=tmp_path / "restored-media",
        ),
    )
    assert sqlite_counts(restored) == {"readings": 20_000}


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    stray = tmp_path / "photos.tar"
    with tarfile.open(stray, "w") as tar:
        tar.addfile(tarfile.TarInfo("photo.jpg"), io.BytesIO(b""))
    target = backup.Target(
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")},
        media_root=tmp_path / "media",
    )

    with pytest.raises(backup.BackupError, match="manifest.json"):
        backup.backup_restore(archive_path=stray, target=target)

    assert not (tmp_path / "db.sqlite3").exists()
