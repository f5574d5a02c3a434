"""Pointing the Celery app at another broker for the length of a test."""

import socket
from contextlib import contextmanager

from hitech_zone.celery import app


@contextmanager
def broker_conf(**changes):
    """Point the Celery app somewhere else for the duration, then back."""
    saved = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    try:
        yield
    finally:
        app.conf.update(saved)


def closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
