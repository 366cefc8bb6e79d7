"""Run the prediction API with uvicorn, configured from the environment."""

import uvicorn

from .config import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        f"{__package__}.api:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
    )


if __name__ == "__main__":
    main()
