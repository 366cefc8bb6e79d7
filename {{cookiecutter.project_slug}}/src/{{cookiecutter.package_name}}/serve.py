"""Run the prediction API, configured from the environment."""

import signal
import sys
from types import FrameType

import uvicorn

from . import multiprocess
from .config import Settings


def run(app: str, settings: Settings) -> None:
    """Serve the application built by the factory `app` ("module:function").

    One worker is one uvicorn process; more are forked by `prefork`'s server.
    """
    multiprocess.prepare()  # the metrics directory its worker processes share
    if settings.workers > 1:
        from .prefork import PreforkServer  # gunicorn, only where it runs

        PreforkServer(app, settings).run()
        return
    # uvicorn raises the signal it stopped on again once it has shut down.
    signal.signal(signal.SIGTERM, exit_on_signal)
    uvicorn.run(
        app, factory=True, host=settings.host, port=settings.port, log_level=settings.log_level
    )


def exit_on_signal(signum: int, _: FrameType | None) -> None:
    """Exit with the status a signal gives, once the exit handlers have run."""
    sys.exit(128 + signum)


def main() -> None:
    run(f"{__package__}.api:create_app", Settings())


if __name__ == "__main__":
    main()
