"""The fast path of predictions: valid JSON batches answered straight from the ASGI messages.

A batch that msgspec finds valid (`decoding`) needs none of FastAPI's per-request machinery
(routing, request object, dependencies, pydantic validation, response re-validation), which
takes longer than encoding a small batch and predicting it. So `PredictionFastPath` answers it
in front of FastAPI with the bytes the route's response model would give, serialised by msgspec.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec
import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import float32_json
from .capture import BackgroundWriter
from .features import encode
from .model import DemandModel
from .prediction_metrics import observe_batch
from .schemas import MAX_BODY_BYTES

JSON = "application/json"

_encoder = msgspec.json.Encoder()

# The fields of a route's answer, given its predictions as a JSON array.
ResponseFields = Callable[[msgspec.Raw, DemandModel], dict[str, Any]]


class FastRoute(NamedTuple):
    """A prediction route as the fast path answers it."""

    route: Any  # the FastAPI route it stands for, whose template labels the metrics
    decode: Callable[[bytes], Any | None]  # the request of a valid body (`decoding`), else None
    response_fields: ResponseFields  # what it returns


class PredictionFastPath:
    """Answers valid JSON batches POSTed to the prediction routes; passes on everything else.

    It sits inside the metrics middleware, which counts and times its answers under the
    template of the route they stand for. The routes are the `FastRoute`s of
    `app.state.prediction_routes`, by path. Whatever it does not answer (invalid input, no
    model, another content type or method, a body over the limit) goes on to the application
    with the messages read so far, and is answered exactly as without it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self._route(scope)
        if fast is None:
            await self.app(scope, receive, send)
            return
        messages, body = await read_body(receive, MAX_BODY_BYTES)
        request = fast.decode(body) if body is not None else None
        if request is None:
            await self.app(scope, replay(messages, receive), send)
            return
        scope["route"] = fast.route
        model, capture = scope["app"].state.model, scope["app"].state.capture
        features, predictions = predict_batch(request.instances, capture, model)
        payload = answer(fast.response_fields, predictions, model)
        await send({"type": "http.response.start", "status": 200, "headers": headers(payload)})
        await send({"type": "http.response.body", "body": payload})
        observe_batch(features, predictions)

    @staticmethod
    def _route(scope: Scope) -> FastRoute | None:
        """The prediction route a request is for, if the fast path may answer it."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        state = scope["app"].state
        fast = state.prediction_routes.get(scope["path"])
        if fast is None or state.model is None or not declares_json_within_limit(scope):
            return None
        return fast


def predict_batch(
    instances: list[Any], capture: BackgroundWriter | None, model: DemandModel
) -> tuple[np.ndarray, np.ndarray]:
    """The features and predictions of a batch of validated instances, captured if enabled."""
    features = encode(instances)
    predictions = model.predict(features)
    if capture:
        capture.submit(instances, predictions, model.version)
    return features, predictions


def answer(response_fields: ResponseFields, predictions: np.ndarray, model: DemandModel) -> bytes:
    """The JSON body of a route's answer, its predictions written by `float32_json`."""
    return _encoder.encode(response_fields(msgspec.Raw(float32_json.array(predictions)), model))


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header value declares JSON, whatever its parameters."""
    return content_type.partition(";")[0].strip().lower() == JSON


def declares_json_within_limit(scope: Scope) -> bool:
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
