# Production image: web (gunicorn), the Celery workers (default and PDF queues) and beat share
# it; docker-compose.yml picks each service's command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=hitech_zone.settings \
    WEB_CONCURRENCY=2

# Pango for WeasyPrint, HarfBuzz's subsetter for fast font subsetting, the PostgreSQL client
# tools for `make backup`. The PDF font itself
# ships in static/fonts, so no font package is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libfontconfig1 libharfbuzz-subset0 curl postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 hitech

WORKDIR /app
COPY requirements/ requirements/
RUN python -m venv .venv && pip install --no-cache-dir --require-hashes -r requirements/base.txt
COPY --chown=hitech:hitech . .
RUN python manage.py compile_translations \
    && SECRET_KEY=build-only-not-used-at-run-time python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R hitech:hitech /app/var /app/locale

USER hitech
EXPOSE 8000
# gunicorn takes its number of worker processes from WEB_CONCURRENCY, threads and timeouts
# from scripts/gunicorn.conf.py; the app logs each request itself (JSON).
CMD ["gunicorn", "hitech_zone.wsgi:application", "--config", "scripts/gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
