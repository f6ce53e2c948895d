"""One HTTP worker process of `fireline serve --workers N`: uvicorn calls `worker_app` in each.

The parent migrated the database, applied the config file and runs the engine; a worker only
serves HTTP. It reads the same `FIRELINE_*` environment as the parent.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from fireline.app import build_web
from fireline.cli.logs import configure_logging, redact_access_log
from fireline.config import Settings

# What uvicorn imports in each worker process (an import string, as its workers need).
WORKER_APP = f"{__name__}:worker_app"


def worker_app() -> FastAPI:
    """Build the app of one worker (uvicorn's factory): no migration, no engine."""
    settings = Settings().model_copy(update={"auto_migrate": False})
    configure_logging(settings.log_level)
    app = build_web(settings)
    redact_access_log()
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave what startup built (modules, the app, SQLAlchemy's mappers) out of every later GC.

    A full collection otherwise walks all of it again, stalling every request behind it: at
    concurrency 16 intake's p99 went from about 110 ms to about 50 ms (bench/README.md).
    """
    gc.collect()
    gc.freeze()
