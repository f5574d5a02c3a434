"""The data version: a token that changes whenever a transaction that wrote what the pages
show commits. Page fragments are cached under it (hitech_zone.fragments).

Database triggers change it, so every write counts, whatever made it: services, the admin,
imports, bulk COPY, raw SQL. On PostgreSQL a statement trigger on each watched
table notes the transaction, and a deferred trigger changes the token once, at commit: the
version row is locked only while the transaction commits, so long imports do not hold up
other writers. On SQLite (one writer at a time) a row trigger changes it at once.

Tokens are random, not counted: a rolled-back transaction or a restored backup returns to a
token that still names exactly that data.
"""

from __future__ import annotations

import secrets

from django.apps import apps
from django.db import connection, connections

# Every table of these apps is watched, but for the ones below.
WATCHED_APPS = ("projects", "inspections", "reports")
# People's names and roles appear on the pages too.
WATCHED_TABLES = (
    "hitech_zone_user",
    "hitech_zone_user_groups",
    "hitech_zone_user_user_permissions",
)
# Written often and shown on no cached page: a write there must not retire every fragment.
UNWATCHED_TABLES = frozenset(
    {
        "inspections_visitdraft",
        "inspections_notification",
        "projects_projectimport",
        "reports_briefing",
        "reports_briefingsubscription",
        "reports_briefingdelivery",
    }
)

# Of these, only changes to the other columns count: each sign-in writes last_login.
IGNORED_COLUMNS = {"hitech_zone_user": ("last_login", "password")}

VERSION_TABLE = "hitech_zone_dataversion"
# PostgreSQL only: the transactions that wrote watched tables and have not committed yet.
PENDING_TABLE = "hitech_zone_datachange"

# Templates: install() and current() put in this module's constant table names only.
_POSTGRES_FUNCTIONS = """
CREATE TABLE IF NOT EXISTS {pending_table} (txid bigint PRIMARY KEY);
CREATE OR REPLACE FUNCTION hz_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {pending_table} (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION hz_data_committed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {version_table} SET token = floor(random() * 9007199254740991)::bigint;
    DELETE FROM {pending_table} WHERE txid = NEW.txid;
    RETURN NULL;
END $$;
DO $$ BEGIN
    -- A constraint trigger has no CREATE OR REPLACE: made once, not on every migrate.
    IF NOT EXISTS (
        SELECT 1 FROM pg_trigger
        WHERE tgname = 'hz_data_committed' AND tgrelid = '{pending_table}'::regclass
    ) THEN
        CREATE CONSTRAINT TRIGGER hz_data_committed AFTER INSERT ON {pending_table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hz_data_committed();
    END IF;
END $$;
"""

_POSTGRES_TABLE_TRIGGER = """
CREATE OR REPLACE TRIGGER hz_data_changed AFTER INSERT OR {update} OR DELETE OR TRUNCATE
    ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION hz_data_changed();
"""

# Dropped and made again (SQLite has no CREATE OR REPLACE TRIGGER), so a column added to
# a table whose UPDATE trigger lists its columns counts too.
_SQLITE_TABLE_TRIGGER = (
    'DROP TRIGGER IF EXISTS "hz_data_changed_{name}_{table}"',
    """CREATE TRIGGER "hz_data_changed_{name}_{table}" AFTER {event} ON "{table}"
BEGIN UPDATE {version_table} SET token = random(); END""",
)

# The token, and (PostgreSQL) whether this very transaction holds uncommitted watched writes.
_READ = {
    "postgresql": """
        SELECT v.token, EXISTS (
            SELECT 1 FROM {pending_table} c WHERE c.txid = txid_current_if_assigned()
        ) FROM {version_table} v""",
    "sqlite": "SELECT token, 0 FROM {version_table}",
}


def _sql(template: str) -> str:
    return template.format(pending_table=PENDING_TABLE, version_table=VERSION_TABLE)


def watched_tables(using: str = "default") -> list[str]:
    existing = set(connections[using].introspection.table_names())
    tables = {
        model._meta.db_table
        for label in WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    tables |= set(WATCHED_TABLES)
    return sorted((tables - UNWATCHED_TABLES) & existing)


def install(using: str = "default") -> None:
    """Creates the version row where missing and the triggers afresh. Idempotent: it runs
    after every migrate, so tables and columns that later migrations add are watched too."""
    database = connections[using]
    if database.vendor not in _READ:
        return
    with database.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {VERSION_TABLE}")  # nosec B608
        if cursor.fetchone()[0] == 0:
            # Random like every token: a row made again never names older cached data.
            cursor.execute(
                f"INSERT INTO {VERSION_TABLE} (token) VALUES (%s)",  # nosec B608
                [secrets.randbits(52)],
            )
        if database.vendor == "postgresql":
            cursor.execute(_sql(_POSTGRES_FUNCTIONS))
        for table in watched_tables(using):
            update = _update_event(database, cursor, table)
            if database.vendor == "postgresql":
                cursor.execute(_POSTGRES_TABLE_TRIGGER.format(table=table, update=update))
                continue
            for name, event in (("insert", "INSERT"), ("update", update), ("delete", "DELETE")):
                for statement in _SQLITE_TABLE_TRIGGER:
                    cursor.execute(
                        statement.format(
                            name=name, event=event, table=table, version_table=VERSION_TABLE
                        )
                    )


def _update_event(database, cursor, table: str) -> str:
    ignored = IGNORED_COLUMNS.get(table)
    if not ignored:
        return "UPDATE"
    columns = [
        column.name
        for column in database.introspection.get_table_description(cursor, table)
        if column.name not in ignored
    ]
    return "UPDATE OF " + ", ".join(database.ops.quote_name(column) for column in columns)


def on_post_migrate(sender, using: str = "default", **kwargs) -> None:
    install(using)


def current() -> int | None:
    """The committed data's token; None when there is none to trust: this transaction has
    written watched data it has not committed (what it reads is not what the token names),
    or the version row is missing (a flushed database before its next migrate)."""
    read = _READ.get(connection.vendor)
    if read is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_sql(read))
        row = cursor.fetchone()
    if row is None or row[1]:
        return None
    return row[0]
