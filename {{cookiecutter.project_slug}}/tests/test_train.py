"""Training writes a model that beats a naive baseline, plus its metrics and feature stats."""

import json
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.artifacts import Artifacts
from {{ cookiecutter.package_name }}.data import generate, split
from {{ cookiecutter.package_name }}.features import FEATURES, to_matrix
from {{ cookiecutter.package_name }}.model import DemandModel
from {{ cookiecutter.package_name }}.train import build_pipeline

R2_FLOOR = 0.8


def test_artifacts_are_written(model_dir: Path) -> None:
    artifacts = Artifacts(model_dir)
    assert artifacts.model.stat().st_size > 0
    summary = json.loads(artifacts.metrics.read_text())
    assert len(summary["model_version"]) == 12
    assert summary["n_holdout"] == 2_000


def test_holdout_quality_is_above_floor(model_dir: Path) -> None:
    metrics = json.loads(Artifacts(model_dir).metrics.read_text())["metrics"]
    assert metrics["r2"] >= R2_FLOOR
    assert metrics["mae"] < 0.5 * metrics["baseline_mae"]


def test_reference_statistics_cover_every_feature(model_dir: Path) -> None:
    reference = json.loads(Artifacts(model_dir).reference.read_text())
    assert set(reference) == set(FEATURES)
    for stats in reference.values():
        assert sum(stats["proportions"]) == pytest.approx(1.0, abs=1e-4)
    assert reference["weekday"]["categories"][0] == "monday"
    assert len(reference["price"]["bin_edges"]) == len(reference["price"]["proportions"]) + 1


def test_onnx_model_reproduces_the_scikit_learn_pipeline(model_dir: Path) -> None:
    train_set, _ = split(generate(10_000))
    pipeline = build_pipeline().fit(to_matrix(train_set.columns), train_set.units_sold)
    features = to_matrix(generate(200, seed=3).columns)
    expected = np.clip(pipeline.predict(features), 0, None)
    np.testing.assert_allclose(DemandModel.load(model_dir).predict(features), expected, atol=1e-3)
