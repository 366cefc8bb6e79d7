"""Retraining promotes a challenger only when it beats the served model on the same holdout."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import retrain as job
from {{ cookiecutter.package_name }}.artifacts import Artifacts
from {{ cookiecutter.package_name }}.config import RetrainSettings
from {{ cookiecutter.package_name }}.data import Dataset, load
from {{ cookiecutter.package_name }}.train import Source, train

ROWS, WINDOW = 4_000, 7


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "training.json"
    path.write_text('{"rows": 20000, "seed": 42}\n')
    return path


def test_a_better_challenger_is_promoted(tmp_path: Path, spec: Path) -> None:
    champion_dir = tmp_path / "artifacts"
    train(champion_dir, n_rows=300, seed=1)  # little data: a weak champion
    decision = job.retrain(champion_dir, ROWS, WINDOW, RetrainSettings(), spec=spec)
    assert decision["promoted"] is True
    assert decision["challenger"]["mae"] < decision["champion"]["mae"]
    assert decision["improvement"] >= 0.01
    served = json.loads(Artifacts(champion_dir).metrics.read_text())
    assert served["model_version"] == decision["challenger"]["model_version"]
    assert json.loads(spec.read_text()) == {"rows": ROWS, "seed": WINDOW}


def test_the_image_build_trains_exactly_the_promoted_model(tmp_path: Path, spec: Path) -> None:
    champion_dir = tmp_path / "artifacts"
    train(champion_dir, n_rows=300, seed=1)
    decision = job.retrain(champion_dir, ROWS, WINDOW, RetrainSettings(), spec=spec)
    promoted = json.loads(spec.read_text())  # what the image build trains from
    rebuilt = train(tmp_path / "image", n_rows=promoted["rows"], seed=promoted["seed"])
    assert rebuilt["model_version"] == decision["challenger"]["model_version"]


@pytest.mark.parametrize("min_improvement", [0.01, 0.0])
def test_an_equal_challenger_is_not_promoted(
    tmp_path: Path, spec: Path, min_improvement: float
) -> None:
    champion_dir = tmp_path / "artifacts"
    train(champion_dir, n_rows=ROWS, seed=WINDOW, source=load)
    before = Artifacts(champion_dir).metrics.read_text()
    settings = RetrainSettings(metric="r2", min_improvement=min_improvement)
    decision = job.retrain(champion_dir, ROWS, WINDOW, settings, spec=spec)
    assert decision["promoted"] is False
    assert decision["champion"]["r2"] == decision["challenger"]["r2"]
    assert decision["reason"].endswith("not better")
    assert Artifacts(champion_dir).metrics.read_text() == before
    assert json.loads(spec.read_text()) == {"rows": 20000, "seed": 42}


def test_without_a_champion_the_challenger_is_promoted(tmp_path: Path, spec: Path) -> None:
    decision = job.retrain(tmp_path / "empty", 2_000, WINDOW, spec=spec)
    assert decision["promoted"] is True
    assert decision["champion"] is None
    assert Artifacts(tmp_path / "empty").model.is_file()


@pytest.mark.parametrize(
    ("metric", "champion", "challenger", "expected"),
    [("mae", 10.0, 9.0, 0.1), ("rmse", 10.0, 11.0, -0.1), ("r2", 0.8, 0.88, 0.1)],
)
def test_improvement_is_relative_and_signed(
    metric: str, champion: float, challenger: float, expected: float
) -> None:
    assert job.improvement(metric, champion, challenger) == pytest.approx(expected)


def test_cli_writes_the_decision(tmp_path: Path, spec: Path) -> None:
    output = tmp_path / "reports"
    args = ["--model-dir", str(tmp_path / "artifacts"), "--rows", "2000"]
    args += ["--training-spec", str(spec), "--output-dir", str(output)]
    assert job.main(args) == job.EXIT_OK
    decision = json.loads((output / "decision.json").read_text())
    assert {"promoted", "reason", "metric", "champion", "challenger"} <= set(decision)
    assert decision["data"]["seed"] == 43  # the window after training.json's


def test_cli_fails_clearly_on_a_broken_champion(tmp_path: Path, spec: Path) -> None:
    Artifacts(tmp_path).model.write_bytes(b"not a model")
    args = ["--model-dir", str(tmp_path), "--rows", "2000", "--training-spec", str(spec)]
    assert job.main([*args, "--output-dir", str(tmp_path / "r")]) == job.EXIT_ERROR
    assert not (tmp_path / "r" / "decision.json").exists()
    assert json.loads(spec.read_text())["seed"] == 42


def shifted(n_rows: int, window: int) -> Dataset:
    """Fresh data whose demand doubled: the champion's errors grow."""
    data = load(n_rows, window)
    return Dataset(data.columns, data.units_sold * 2)


@pytest.mark.parametrize(("source", "degraded"), [(load, False), (shifted, True)])
def test_the_performance_check_flags_a_champion_that_got_worse(
    tmp_path: Path, source: Source, degraded: bool
) -> None:
    champion_dir = tmp_path / "artifacts"
    train(champion_dir, n_rows=ROWS, seed=1)
    result = job.check_performance(champion_dir, ROWS, WINDOW, RetrainSettings(), source)
    recorded = json.loads(Artifacts(champion_dir).metrics.read_text())["metrics"]["mae"]
    assert result["recorded"] == recorded
    assert result["degraded"] is degraded
    assert (result["degradation"] > 0.1) is degraded
    assert (result["live"] > recorded * 1.1) is degraded


def test_cli_checks_performance_without_training(tmp_path: Path, spec: Path) -> None:
    champion_dir, output = tmp_path / "artifacts", tmp_path / "reports"
    train(champion_dir, n_rows=2_000, seed=1)
    served = Artifacts(champion_dir).metrics.read_text()
    args = ["--model-dir", str(champion_dir), "--rows", "2000", "--training-spec", str(spec)]
    assert job.main([*args, "--output-dir", str(output), "--check-performance"]) == job.EXIT_OK
    result = json.loads((output / "performance.json").read_text())
    assert {"degraded", "degradation", "recorded", "live", "max_degradation"} <= set(result)
    assert not (output / "decision.json").exists()
    assert Artifacts(champion_dir).metrics.read_text() == served
    missing = ["--model-dir", str(tmp_path / "none"), "--check-performance"]
    assert job.main([*args, *missing]) == job.EXIT_ERROR
