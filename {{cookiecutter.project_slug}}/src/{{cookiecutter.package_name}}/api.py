"""HTTP API of the demand model: liveness, readiness and batch predictions."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .config import Settings
from .features import encode
from .model import DemandModel
from .schemas import PredictRequest, PredictResponse

logger = logging.getLogger(__name__)
router = APIRouter()


def get_model(request: Request) -> DemandModel:
    model: DemandModel | None = request.app.state.model
    if model is None:
        raise HTTPException(503, detail=request.app.state.model_error)
    return model


async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming each invalid field and why; inputs are not echoed (they may be NaN or huge)."""
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return JSONResponse(status_code=422, content={"detail": detail})


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(model: Annotated[DemandModel, Depends(get_model)]) -> dict[str, str]:
    """Readiness: the model is loaded and can serve predictions."""
    return {"status": "ready", "model_version": model.version}


@router.post("/predict")
async def predict(
    body: PredictRequest, model: Annotated[DemandModel, Depends(get_model)]
) -> PredictResponse:
    """Expected units sold for each instance of the batch."""
    features = encode([instance.model_dump() for instance in body.instances])
    return PredictResponse(
        predictions=model.predict(features).tolist(), model_version=model.version
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
        yield

    app = FastAPI(title="{{ cookiecutter.project_name }}", lifespan=lifespan)
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, invalid_request)
    return app
