"""Run the prediction API with uvicorn, configured from the environment."""

import uvicorn

from .config import Settings
from .metrics import multiprocess_directory


def run(app: str, settings: Settings) -> None:
    """Serve the application built by the factory `app` ("module:function")."""
    multiprocess_directory()  # one metrics directory shared by all worker processes
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
