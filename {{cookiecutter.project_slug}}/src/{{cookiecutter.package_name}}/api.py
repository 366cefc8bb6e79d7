"""HTTP API of the demand model: liveness, readiness and batch predictions."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import msgspec
import numpy as np
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message, Receive, Scope, Send

{% if cookiecutter.hosting_model == "paas" and cookiecutter.cloud_provider == "azure" -%}
from . import azure_ml
{% endif -%}
from .capture import BackgroundWriter, CaptureWriter
from .config import Settings
from .decoding import decode_request
from .features import encode
from .metrics import instrument, process_exit
from .model import DemandModel
from .prediction_metrics import observe_batch
from .schemas import MAX_BODY_BYTES, PredictRequest, PredictResponse

logger = logging.getLogger(__name__)

JSON = "application/json"
MAX_ERRORS = 20  # reported per response: a batch of 10,000 bad instances has 70,000 errors

_encoder = msgspec.json.Encoder()


class PredictRoute(APIRoute):
    """POST /predict, with a fast path for the requests that need none of FastAPI's work.

    A JSON batch that msgspec finds valid (`decoding`) goes straight from the ASGI messages to the
    model, without pydantic and FastAPI's per-request machinery (request object, dependencies,
    response re-validation), and is answered with the bytes `PredictResponse` would give,
    serialised by msgspec; its metrics are recorded once the answer is sent. Anything else
    (invalid input, no model, another content type or method, a body over the limit) is handed
    to FastAPI with the messages read so far, so it is answered exactly as before.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        if scope["method"] != "POST" or state.model is None or not fits_fast_path(scope):
            await super().handle(scope, receive, send)
            return
        messages, body = await read_body(receive, MAX_BODY_BYTES)
        batch = decode_request(body) if body is not None else None
        if batch is None:
            await super().handle(scope, replay(messages, receive), send)
            return
        features, predictions = predict_batch(batch.instances, state.capture, state.model)
        answer = {"predictions": predictions.tolist(), "model_version": state.model.version}
        payload = _encoder.encode(answer)
        await send({"type": "http.response.start", "status": 200, "headers": headers(payload)})
        await send({"type": "http.response.body", "body": payload})
        observe_batch(features, predictions)


def fits_fast_path(scope: Scope) -> bool:
    """Whether the request declares a JSON body and no length over the limit."""
    declared = dict(reversed(scope["headers"]))  # the first of repeated headers, as Starlette
    length = declared.get(b"content-length", b"0")
    declares_json = is_json(declared.get(b"content-type", b"").decode("latin-1"))
    return declares_json and not (length.isdigit() and int(length) > MAX_BODY_BYTES)


def headers(payload: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of a JSON answer, as Starlette's `Response` writes them."""
    return [(b"content-length", str(len(payload)).encode()), (b"content-type", JSON.encode())]


async def read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The messages of the request body, and the body if it came whole within `limit` bytes."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(message.get("body", b"") for message in messages)


def replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives back the messages already read."""
    pending = iter(messages)

    async def receive_again() -> Message:
        return next(pending, None) or await receive()

    return receive_again


router = APIRouter()


async def get_model(request: Request) -> DemandModel:
    """The loaded model (a coroutine: FastAPI would run a plain function in its thread pool)."""
    model: DemandModel | None = request.app.state.model
    if model is None:
        raise HTTPException(503, detail=request.app.state.model_error)
    return model


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header value declares JSON, whatever its parameters."""
    return content_type.partition(";")[0].strip().lower() == JSON


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
    return PredictResponse(predictions=predictions.tolist(), model_version=model.version)


def predict_batch(
    instances: list[Any], capture: BackgroundWriter | None, model: DemandModel
) -> tuple[np.ndarray, np.ndarray]:
    """The features and predictions of a batch of validated instances, captured if enabled."""
    features = encode(instances)
    predictions = model.predict(features)
    if capture:
        capture.submit(instances, predictions, model.version)
    return features, predictions


router.add_api_route(
    "/predict",
    predict,
    methods=["POST"],
    dependencies=[Depends(require_json)],
    max_body_size=MAX_BODY_BYTES,
    route_class_override=PredictRoute,
)


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
    instrument(app, drift_report=settings.drift_report)
    app.add_exception_handler(RequestValidationError, invalid_request)
    return app
