"""The database going away just as the session is saved after the view (every request
saves it: the inactivity timeout). Django's own engine calls that "the session was deleted
during the request" and answers 400; ours answers the outage page, 503.

The database's side is played by Django's own hook around each statement
(`connection.execute_wrapper`): the session's UPDATE fails as it does when PostgreSQL
stops; the view before it ran on the real database. tests/faults restarts a real
PostgreSQL under traffic."""

import io
import json
import logging

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import OperationalError, connection
from django.test import Client

from hitech_zone.logging import JsonFormatter, RequestIdFilter
from hitech_zone.sessions import SessionStore

pytestmark = pytest.mark.django_db


def lost_connection_on_session_update(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith('UPDATE "DJANGO_SESSION"'):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_an_outage_while_saving_the_session_answers_the_outage_page(official):
    client = Client(raise_request_exception=False)
    client.force_login(official)
    assert client.get("/").status_code == 200

    with connection.execute_wrapper(lost_connection_on_session_update):
        response = client.get("/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "系统暂时无法连接数据库" in response.content.decode()


def test_the_store_lets_the_outage_through_and_keeps_django_s_other_errors(official):
    store = SessionStore()
    store["answer"] = 42
    store.save(must_create=True)

    with (
        connection.execute_wrapper(lost_connection_on_session_update),
        pytest.raises(OperationalError),
    ):
        store.save()

    # A session deleted by someone else meanwhile is still Django's UpdateError.
    store.delete()
    with pytest.raises(UpdateError):
        store.save()


def test_the_outage_is_logged_as_one_line_not_a_traceback(official):
    """Django logs a request that failed outside the view with its traceback; for the lost
    database that would be a traceback for every request of the outage. The record that
    reaches the log's handlers (the JSON formatter, as in production) is one line that
    names the path and the fault, with the request id."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    client = Client(raise_request_exception=False)
    client.force_login(official)
    try:
        with connection.execute_wrapper(lost_connection_on_session_update):
            response = client.get("/")
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 503
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert "exc_info" not in entry
    assert entry["message"].endswith(
        ": / (database unavailable: OperationalError('server closed the connection unexpectedly'))"
    )
    assert entry["request_id"] == response["X-Request-ID"]
