"""Amazon SageMaker's serving contract for the prediction API.

SageMaker starts the container with the argument `serve`, checks `GET /ping` and sends
`POST /invocations` to port 8080. `/ping` answers 200 once the model is loaded and 503 before;
`/invocations` takes the body of `/predict` as `application/json` and answers like it. CSV is
refused with 415: the instances mix numbers, booleans and categories, which JSON names and types.
"""

import argparse

from fastapi import FastAPI
from pydantic import Field

from . import api
from .config import Settings
from .serve import run


class SageMakerSettings(Settings):
    """The service's settings with SageMaker's defaults: all interfaces, port 8080."""

    host: str = Field("0.0.0.0", description="Interface the HTTP server binds to.")  # noqa: S104
    port: int = Field(
        8080,
        ge=1,
        le=65535,
        validation_alias="SAGEMAKER_BIND_TO_PORT",
        description="Port SageMaker sends requests to; set by SageMaker in inference pipelines.",
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The prediction API with SageMaker's routes added."""
    app = api.create_app(settings or SageMakerSettings())
    app.add_api_route("/ping", api.ready, methods=["GET"], summary="SageMaker health check")
    api.add_prediction_route(app, "/invocations", summary="SageMaker inference")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the model the way SageMaker runs it.")
    parser.add_argument("command", choices=["serve"], help="what SageMaker asks the container")
    parser.parse_args()
    run(f"{__package__}.sagemaker:create_app", SageMakerSettings())


if __name__ == "__main__":
    main()
