"""``python -m tests.support.gc_probe [server flags]``: a real server that can count its garbage.

The app is LoginGuard's own (``create_app``); two extra routes, for tests only,
look inside the worker:

* ``POST /_probe/gc/mark`` — collect, forget what was found, and from now on
  keep everything the collector finds (``gc.DEBUG_SAVEALL``);
* ``GET /_probe/gc/count`` — thaw what ``server/collector.py`` froze, collect,
  and answer ``{"objects": n, "types": {type: n}}``: every object found only in
  reference cycles since the mark. Frozen cycles are otherwise never collected,
  so this is the number that would leak.
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Sequence

from sanic import Request
from sanic.response import HTTPResponse, json

from server import config
from server.app import create_app
from server.logs import setup_logging


def _type_name(obj: object) -> str:
    kind = type(obj)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"


def main(argv: Sequence[str]) -> None:
    settings = config.load(argv)
    setup_logging(settings.log_level)
    app = create_app(settings)

    @app.post("/_probe/gc/mark")
    async def mark(request: Request) -> HTTPResponse:
        gc.set_debug(0)
        gc.collect()
        gc.garbage.clear()
        gc.set_debug(gc.DEBUG_SAVEALL)
        return json({"frozen": gc.get_freeze_count()})

    @app.get("/_probe/gc/count")
    async def count(request: Request) -> HTTPResponse:
        gc.unfreeze()
        gc.collect()
        found = Counter(_type_name(obj) for obj in gc.garbage)
        gc.set_debug(0)
        gc.garbage.clear()
        return json({"objects": sum(found.values()), "types": dict(found.most_common(20))})

    app.run(
        host=settings.host,
        port=settings.port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
