"""Vertex AI's serving contract for the prediction API.

Vertex AI tells the container where to listen and which routes to serve through environment
variables: AIP_HTTP_PORT, AIP_HEALTH_ROUTE (200 once the model is loaded, 503 before) and
AIP_PREDICT_ROUTE (`{"instances": [...], "parameters": {...}}` in, `{"predictions": [...]}` out).
The image carries its model, so a model uploaded with an artifact URI (AIP_STORAGE_URI) is ignored.
"""

import logging
from typing import Annotated, Any

import msgspec
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from . import api
from .config import Settings
from .decoding import decoder_for
from .fast_path import FastRoute
from .model import DemandModel
from .schemas import MAX_BODY_BYTES, PredictRequest
from .serve import run

logger = logging.getLogger(__name__)


class VertexSettings(Settings):
    """The service's settings with the port and routes Vertex AI sets, and its defaults."""

    host: str = Field("0.0.0.0", description="Interface the HTTP server binds to.")  # noqa: S104
    port: int = Field(
        8080, ge=1, le=65535, validation_alias="AIP_HTTP_PORT", description="Port to listen on."
    )
    health_route: str = Field(
        "/ready", pattern="^/", validation_alias="AIP_HEALTH_ROUTE", description="Health checks."
    )
    predict_route: str = Field(
        "/predict", pattern="^/", validation_alias="AIP_PREDICT_ROUTE", description="Predictions."
    )
    storage_uri: str | None = Field(
        None, validation_alias="AIP_STORAGE_URI", description="Artifacts of an uploaded model."
    )


class Parameters(BaseModel):
    """Prediction parameters: the model takes none."""

    model_config = ConfigDict(extra="forbid")


class VertexPredictRequest(PredictRequest):
    """A batch of store-days, as Vertex AI forwards it."""

    parameters: Parameters | None = None


class VertexPredictResponse(BaseModel):
    """Expected units sold per instance; Vertex AI adds the deployed model's id."""

    predictions: list[float]


async def predict(
    body: VertexPredictRequest,
    request: Request,
    model: Annotated[DemandModel, Depends(api.get_model)],
) -> VertexPredictResponse:
    """Expected units sold for each instance of the batch."""
    response = await api.predict(body, request, model)
    return VertexPredictResponse(predictions=response.predictions)


decode_vertex_request = decoder_for(VertexPredictRequest)


def response_fields(predictions: msgspec.Raw, _: DemandModel) -> dict[str, Any]:
    """The fields of `VertexPredictResponse`."""
    return {"predictions": predictions}


def create_app(settings: VertexSettings | None = None) -> FastAPI:
    """The prediction API with Vertex AI's health and predict routes added."""
    settings = settings or VertexSettings()
    if settings.storage_uri:
        logger.warning("Ignoring AIP_STORAGE_URI: serving the model in %s", settings.model_dir)
    app = api.create_app(settings)
    own = len(app.router.routes)
    app.add_api_route(settings.health_route, api.ready, methods=["GET"])
    app.add_api_route(
        settings.predict_route, predict, methods=["POST"], max_body_size=MAX_BODY_BYTES
    )
    route = app.router.routes[-1]
    # Vertex AI's routes go first, to answer where they share a path with the service's own.
    app.router.routes[:] = app.router.routes[own:] + app.router.routes[:own]
    fast = FastRoute(route, decode_vertex_request, response_fields)
    app.state.prediction_routes[settings.predict_route] = fast
    return app


def main() -> None:
    run(f"{__package__}.vertex_ai:create_app", VertexSettings())


if __name__ == "__main__":
    main()
