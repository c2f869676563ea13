"""python -m server [serve flags] | users <command> (server/users_cli.py) | audit tail
(server/audit_cli.py)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from functools import partial

from server import config, stop
from server.logs import logged, setup_logging

log = logging.getLogger("loginguard")


def serve(settings: config.ServerSettings) -> int:
    """Serve until stopped; the exit code (1: the workers could not be kept running)."""
    stop.note_requests()  # before the slow imports: a stop meanwhile is acted on later
    metrics_dir = None
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Workers inherit this and write their figures there for /metrics to merge;
        # set before prometheus-client is imported here, for the main process's own.
        metrics_dir = tempfile.mkdtemp(prefix="loginguard-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        return _serve(settings)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(settings: config.ServerSettings) -> int:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from server.app import create_app
    from server.demo import WARNING
    from server.supervisor import Supervisor, in_worker, supervised

    if settings.demo:
        print(WARNING, file=sys.stderr, flush=True)
    # Each worker process sets up its logging after Sanic configured its own.
    make = partial(logged, partial(create_app, settings), settings.log_level)
    loader = AppLoader(factory=partial(in_worker, make))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=settings.workers == 1,
        access_log=False,
        motd=False,
    )
    if (noted := stop.requested()) is not None:
        log.info("event=stopped_before_start signal=%s", noted.name)
        return 0
    if settings.workers == 1:
        Sanic.serve_single(primary=app)
        return 0
    with supervised():
        Sanic.serve(primary=app, app_loader=loader)
    manager = app.manager
    return manager.exit_code if isinstance(manager, Supervisor) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["users"]:
        from server.users_cli import run as users

        return users(args[1:])
    if args[:1] == ["audit"]:
        from server.audit_cli import run as audit

        return audit(args[1:])
    if args[:1] == ["serve"]:
        args = args[1:]
    try:
        settings = config.load(args)
    except config.ConfigError as exc:
        print(f"loginguard-server: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    return serve(settings)


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main())
