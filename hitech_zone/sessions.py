"""Sessions in the database, as Django's own engine keeps them, except for one case: the
database going away while a session is saved after the view. Django reads any database
error there as the session having been deleted during the request and answers 400 Bad
Request; here it stays the outage it is, which the 500 handler answers with the friendly
503 page (hitech_zone.views.server_error)."""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from hitech_zone.middleware import DATABASE_UNAVAILABLE


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            if isinstance(error.__context__, DATABASE_UNAVAILABLE):
                raise error.__context__ from None
            raise
