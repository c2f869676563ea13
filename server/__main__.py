"""python -m server [serve flags] | python -m server users add|passwd|seed|disable|enable|list."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from functools import partial

from server import config
from server.logs import logged, setup_logging


def serve(settings: config.ServerSettings) -> None:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from server.app import create_app
    from server.demo import WARNING

    if settings.demo:
        print(WARNING, file=sys.stderr, flush=True)
    metrics_dir = None
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Workers inherit this and write their figures there for /metrics to merge.
        metrics_dir = tempfile.mkdtemp(prefix="loginguard-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # Each worker process sets up its logging after Sanic configured its own.
    loader = AppLoader(factory=partial(logged, partial(create_app, settings), settings.log_level))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=settings.workers == 1,
        access_log=False,
        motd=False,
    )
    try:
        if settings.workers == 1:
            Sanic.serve_single(primary=app)
        else:
            Sanic.serve(primary=app, app_loader=loader)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["users"]:
        from server.users_cli import run as users

        return users(args[1:])
    if args[:1] == ["serve"]:
        args = args[1:]
    try:
        settings = config.load(args)
    except config.ConfigError as exc:
        print(f"loginguard-server: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    serve(settings)
    return 0


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main())
