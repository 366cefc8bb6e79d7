"""HTTP API of the demand model: liveness, readiness and batch predictions."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

{% if cookiecutter.hosting_model == "paas" and cookiecutter.cloud_provider == "azure" -%}
from . import azure_ml, float32_json
{% else -%}
from . import float32_json
{% endif -%}
from .capture import CaptureWriter
from .config import Settings
from .decoding import decode_request
from .fast_path import JSON, FastRoute, PredictionFastPath, is_json, predict_batch
from .metrics import instrument, process_exit
from .model import DemandModel
from .prediction_metrics import observe_batch
from .schemas import MAX_BODY_BYTES, PredictRequest, PredictResponse

logger = logging.getLogger(__name__)

MAX_ERRORS = 20  # reported per response: a batch of 10,000 bad instances has 70,000 errors

router = APIRouter()


async def get_model(request: Request) -> DemandModel:
    """The loaded model (a coroutine: FastAPI would run a plain function in its thread pool)."""
    model: DemandModel | None = request.app.state.model
    if model is None:
        raise HTTPException(503, detail=request.app.state.model_error)
    return model


def require_json(content_type: Annotated[str | None, Header()] = None) -> None:
    """415 for a body declared as anything but JSON (no Content-Type is read as JSON)."""
    if content_type is not None and not is_json(content_type):
        raise HTTPException(415, detail=f"Content-Type must be {JSON}, not {content_type!r}")


async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming each invalid field and why; inputs are not echoed (they may be NaN or huge)."""
    errors = error.errors()
    detail = [
        {"loc": list(e["loc"]), "msg": describe(e), "type": e["type"]} for e in errors[:MAX_ERRORS]
    ]
    return JSONResponse(status_code=422, content={"detail": detail, "error_count": len(errors)})


def describe(error: dict) -> str:
    """The error's message, with the parser's reason when the body is not JSON."""
    reason = error.get("ctx", {}).get("error") if error["type"] == "json_invalid" else None
    return f"{error['msg']}: {reason}" if reason else error["msg"]


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(model: Annotated[DemandModel, Depends(get_model)]) -> dict[str, str]:
    """Readiness: the model is loaded and can serve predictions."""
    return {"status": "ready", "model_version": model.version}


async def predict(
    body: PredictRequest, request: Request, model: Annotated[DemandModel, Depends(get_model)]
) -> PredictResponse:
    """Expected units sold for each instance of the batch."""
    features, predictions = predict_batch(body.instances, request.app.state.capture, model)
    observe_batch(features, predictions)
    return PredictResponse(
        predictions=float32_json.floats(predictions), model_version=model.version
    )


def add_prediction_route(app: FastAPI, path: str, **options: Any) -> None:
    """Serve predictions at POST `path`, valid JSON batches by the fast path in front of FastAPI."""
    app.add_api_route(
        path,
        predict,
        methods=["POST"],
        dependencies=[Depends(require_json)],
        max_body_size=MAX_BODY_BYTES,
        **options,
    )
    route = app.router.routes[-1]
    app.state.prediction_routes[path] = FastRoute(route, decode_request, response_fields)


def response_fields(predictions: msgspec.Raw, model: DemandModel) -> dict[str, Any]:
    """The fields of `PredictResponse`, in its order."""
    return {"predictions": predictions, "model_version": model.version}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the model is loaded once at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model, app.state.model_error = None, None
        try:
            app.state.model = DemandModel.load(settings.model_dir)
            logger.info("Loaded model %s", app.state.model.version)
        except Exception as error:  # the service stays live, and reports why it is not ready
            app.state.model_error = f"Model not loaded from {settings.model_dir}: {error}"
            logger.error(app.state.model_error)
        app.state.capture = None
        if settings.capture_dir:
            app.state.capture = CaptureWriter(
                settings.capture_dir,
                max_bytes=settings.capture_max_bytes,
                max_age=settings.capture_max_age,
                max_files=settings.capture_max_files,
            ).start()
{%- if cookiecutter.hosting_model == "paas" and cookiecutter.cloud_provider == "azure" %}
        elif azure_ml.data_collection_enabled():
            app.state.capture = azure_ml.DataCollectorWriter().start()
{%- endif %}
        yield
        if app.state.capture:
            app.state.capture.close()
        process_exit()

    app = FastAPI(title="{{ cookiecutter.project_name }}", lifespan=lifespan)
    app.include_router(router)
    app.state.prediction_routes = {}
    add_prediction_route(app, "/predict")
    app.add_middleware(PredictionFastPath)
    instrument(app, drift_report=settings.drift_report)  # its middleware wraps the fast path
    app.add_exception_handler(RequestValidationError, invalid_request)
    return app
