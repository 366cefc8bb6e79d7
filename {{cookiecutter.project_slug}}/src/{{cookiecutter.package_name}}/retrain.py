"""Retrain on fresh data and promote the new model only if it beats the one being served.

    python -m {{ cookiecutter.package_name }}.retrain [--model-dir artifacts] [--window N]
    python -m {{ cookiecutter.package_name }}.retrain --check-performance [--window N]

The challenger is trained on fresh labelled data from `data.load`. The champion (the model in
`--model-dir`) and the challenger are then scored through ONNX Runtime, as served, on the same
holdout rows of that data. The challenger is promoted when it is better on `RETRAIN_METRIC` (mae,
rmse or r2; default mae) by at least `RETRAIN_MIN_IMPROVEMENT` (relative; default 0.01; with 0 any
better model wins, an equal one never), or when there is no champion. Promotion replaces the
artifacts in `--model-dir` and rewrites `training.json`, so the next image build trains the
promoted model. Either way `decision.json` in `--output-dir` (`reports/retrain`) records both
scores, `promoted` and the reason.

`--check-performance` only scores the champion on the same fresh data and compares it with the
holdout metric recorded at its training: `degraded` in `performance.json` is true when it lost
more than `RETRAIN_MAX_DEGRADATION` (relative; default 0.1), the retrain workflows' second trigger
besides drift.

Exit codes: 0 decision (or check) written (read `promoted` or `degraded`), 2 none (bad arguments,
unloadable champion, failed training).
"""

import argparse
import json
import logging
import math
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .artifacts import Artifacts
from .config import RetrainSettings
from .data import load, split
from .features import to_matrix
from .model import DemandModel
from .train import SPEC, Source, evaluate, fit

logger = logging.getLogger(__name__)

LOWER_IS_BETTER = frozenset({"mae", "rmse"})
EXIT_OK, EXIT_ERROR = 0, 2


def improvement(metric: str, champion: float, challenger: float) -> float:
    """Relative improvement of the challenger over the champion; positive is better."""
    gain = champion - challenger if metric in LOWER_IS_BETTER else challenger - champion
    if champion == 0:
        return math.copysign(math.inf, gain) if gain else 0.0
    return gain / abs(champion)


def retrain(
    model_dir: Path,
    n_rows: int,
    window: int,
    settings: RetrainSettings | None = None,
    source: Source = load,
    spec: Path = SPEC,
) -> dict[str, Any]:
    """Train a challenger, compare it with the champion in `model_dir`, promote the better one."""
    settings = settings or RetrainSettings()
    metric = settings.metric
    train_set, holdout = split(source(n_rows, window), seed=window)
    features, baseline = to_matrix(holdout.columns), float(train_set.units_sold.mean())
    with tempfile.TemporaryDirectory(prefix="challenger-") as staging:
        challenger_dir = Path(staging)
        summary = fit(train_set, holdout, challenger_dir, window, {"rows": n_rows, "seed": window})
        challenger = evaluate(DemandModel.load(challenger_dir).predict(features), holdout, baseline)
        champion: dict[str, Any] | None = None
        if Artifacts(model_dir).model.is_file():
            served = DemandModel.load(model_dir)
            champion = evaluate(served.predict(features), holdout, baseline)
            champion["model_version"] = served.version
            gain = improvement(metric, champion[metric], challenger[metric])
            promoted = gain > 0 and gain >= settings.min_improvement
            required = f"the required {100 * settings.min_improvement:.2f} %"
            verdict = f"at least {required}" if promoted else f"below {required}"
            reason = (
                f"challenger {metric} {challenger[metric]} vs champion {champion[metric]}: "
                f"{100 * gain:+.2f} % relative, {verdict if gain > 0 else 'not better'}"
            )
        else:
            gain, promoted = None, True
            reason = f"no champion in {model_dir}"
        if promoted:
            _install(challenger_dir, model_dir)
            spec.write_text(json.dumps(summary["data"], indent=2) + "\n")
    return {
        "decided_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "metric": metric,
        "min_improvement": settings.min_improvement,
        "improvement": None if gain is None else round(gain, 6),
        "promoted": promoted,
        "reason": reason,
        "data": summary["data"] | {"n_train": len(train_set), "n_holdout": len(holdout)},
        "champion": champion,
        "challenger": challenger | {"model_version": summary["model_version"]},
    }


def check_performance(
    model_dir: Path,
    n_rows: int,
    window: int,
    settings: RetrainSettings | None = None,
    source: Source = load,
) -> dict[str, Any]:
    """Score the champion on fresh labelled data against the holdout metric of its training."""
    settings = settings or RetrainSettings()
    metric = settings.metric
    served = DemandModel.load(model_dir)
    fresh = source(n_rows, window)
    baseline = float(fresh.units_sold.mean())
    live = evaluate(served.predict(to_matrix(fresh.columns)), fresh, baseline)
    recorded = served.info["metrics"][metric]
    degradation = -improvement(metric, recorded, live[metric])
    return {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": served.version,
        "metric": metric,
        "recorded": recorded,
        "live": live[metric],
        "degradation": round(degradation, 6),
        "max_degradation": settings.max_degradation,
        "degraded": degradation > settings.max_degradation,
        "data": {"rows": n_rows, "seed": window},
    }


def _install(source_dir: Path, model_dir: Path) -> None:
    """Replace the artifacts of `model_dir` file by file, the metadata last."""
    new, old = Artifacts(source_dir), Artifacts(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    for name in ("model", "reference", "metrics"):
        source, target = getattr(new, name), getattr(old, name)
        partial = target.with_name(f".{target.name}.new")
        shutil.copyfile(source, partial)
        partial.replace(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Retrain and promote only a better model.")
    parser.add_argument("--model-dir", type=Path, default=Path("artifacts"), help="the champion")
    parser.add_argument("--rows", type=int, help="fresh rows to train on (default: training.json)")
    parser.add_argument(
        "--window", type=int, help="data window (synthetic seed); default: training.json's + 1"
    )
    parser.add_argument("--training-spec", type=Path, default=SPEC, help="rewritten on promotion")
    parser.add_argument("--output-dir", type=Path, default=Path("reports/retrain"))
    parser.add_argument(
        "--check-performance",
        action="store_true",
        help="only score the champion on the fresh data (performance.json); train nothing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    check = args.check_performance
    what, name = ("check", "performance.json") if check else ("decision", "decision.json")
    try:
        spec = json.loads(args.training_spec.read_text())
        rows, window = args.rows or spec["rows"], args.window or spec["seed"] + 1
        if check:
            result = check_performance(args.model_dir, rows, window)
        else:
            result = retrain(args.model_dir, rows, window, spec=args.training_spec)
    except Exception as error:  # any failure means no result: exit code 2, not a traceback
        logger.error("No retraining %s: %s", what, error)
        return EXIT_ERROR
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
