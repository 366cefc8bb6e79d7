"""Run the prediction API with uvicorn, configured from the environment."""

import uvicorn

from . import multiprocess
from .config import Settings


def run(app: str, settings: Settings) -> None:
    """Serve the application built by the factory `app` ("module:function")."""
    multiprocess.prepare()  # the metrics directory its worker processes share
    uvicorn.run(
        app,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
    )


def main() -> None:
    run(f"{__package__}.api:create_app", Settings())


if __name__ == "__main__":
    main()
