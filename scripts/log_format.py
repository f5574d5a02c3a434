"""The app's JSON log format (hitech_zone/logging.py) for the processes around the app:
gunicorn's own lines (scripts/gunicorn.conf.py) and circusd's (scripts/serve.sh). Loaded
from its file, so neither imports the hitech_zone package (and with it Celery and Django)
just to format a line."""

import importlib.util
import logging
import os
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "hitech_zone_log_format", Path(__file__).resolve().parent.parent / "hitech_zone" / "logging.py"
)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
JsonFormatter = _module.JsonFormatter


def json_wanted() -> bool:
    """As the settings decide: LOG_FORMAT, else JSON unless DEBUG is on."""
    debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    return (os.environ.get("LOG_FORMAT") or ("plain" if debug else "json")) == "json"


def dict_config(loggers: dict[str, str]) -> dict:
    """A logging.config.dictConfig for `loggers` (name: level), one JSON line each to
    stderr, not passed on to the root logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"level": level, "handlers": ["json"], "propagate": False}
            for name, level in loggers.items()
        },
        "root": {"level": logging.getLevelName(logging.WARNING), "handlers": ["json"]},
    }
