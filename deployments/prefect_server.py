"""The `prefect` command, with the objects it imports kept out of the garbage collector's way.

The Prefect server answers every request in one process. Its heap holds Prefect's modules,
FastAPI's routes, pydantic's schemas and SQLAlchemy's mappers: some 290,000 objects that live
as long as the process. Python's cyclic collector walks all of them in each full collection,
and a busy server makes one every few seconds: measured during a 2,000-pair fleet run, 29
full collections of 0.22 s each, 6.5 s of the server's 59 s of CPU. `gc.freeze()` after the
imports puts those objects out of the collector's sight (reference counting still frees
them), so a full collection walks only what the server made since: with it, the same run's
collections took 5.7 s instead of 9.3 s, the full ones 0.075 s each. Python's documentation
suggests the same before forking workers.

`LocalStack` (so `make stack` and the benchmarks) starts the server this way; the arguments
are the `prefect` command's:

    python -m deployments.prefect_server server start --host 127.0.0.1 --port 4200
"""

from __future__ import annotations

import gc
import importlib


def main() -> None:
    """Import the `prefect` command and the server's modules, freeze them, run the command."""
    cli = importlib.import_module("prefect.cli")
    importlib.import_module("prefect.server.api.server")  # what `server start` imports
    gc.freeze()
    cli.app()  # reads its arguments from sys.argv, as the `prefect` script does


if __name__ == "__main__":
    main()
