"""Benchmark the generated service against BentoML and MLServer, and time the template.

    .venv/bin/python benchmarks/run.py            # everything, about 7 minutes on 2 cores

Run it with the template's dev venv (cookiecutter, copier and uv) on a machine with `wrk`
(`apt-get install wrk`) and `make`. It generates projects from the working tree, trains the
default project's model once and serves that same model from the generated service, BentoML and
MLServer, one after the other, each loaded by wrk from its own process over loopback. The peers
live in virtual environments of their own (benchmarks/.venv-*, created on first use from the
pinned requirements-*.txt). Results go to benchmarks/results/ (JSON and Markdown) and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import serving  # noqa: E402
import template_timing  # noqa: E402

ROOT = HERE.parent
PACKAGE = "demand_forecast"  # the default answers' package
BATCH = 1_000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEASONS = ("winter", "spring", "summer", "autumn")
PARTS = ("template", "ttfp", "serving")
PAIR_FLOOR_S, PAIR_LOAD_S = 0.5, 1  # each compute floor run, and the batch load run between two
UPDATE_RUNS = 3  # of `copier update`, which takes seconds where a generation takes a fraction
PREDICTION_TOLERANCE = 1e-3  # units: ONNX's float32 and scikit-learn's float64 differ by ~1e-4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts to run: {', '.join(PARTS)}"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per load run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per load test, reported as medians"
    )
    parser.add_argument("--connections", type=int, default=32, help="single-instance concurrency")
    parser.add_argument(
        "--batch-pairs",
        type=int,
        default=16,
        help=f"{PAIR_LOAD_S:g} s batch runs, each between {PAIR_FLOOR_S:g} s compute floor runs",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="server worker processes of every stack (default: one per core)",
    )
    parser.add_argument("--template-runs", type=int, default=5, help="runs per generation timing")
    parser.add_argument(
        "--skip-peers", action="store_true", help="serve the generated service only"
    )
    parser.add_argument("--venvs", type=Path, default=HERE, help="where the peers' venvs live")
    parser.add_argument("--output", type=Path, default=HERE / "results")
    parser.add_argument(
        "--python", help="interpreter for generated projects and peers (default: uv's choice)"
    )
    args = parser.parse_args(argv)
    if args.python:
        os.environ["UV_PYTHON"] = args.python
    args.only = [part.strip() for part in args.only.split(",") if part.strip()]
    if unknown := set(args.only) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return args


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory": f"{memory_kib / 2**20:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def instances(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """Valid, varied store-days (the same for every server)."""
    rng = random.Random(seed)
    return [
        {
            "store_id": rng.randint(1, 20),
            "price": round(rng.uniform(1, 20), 2),
            "promotion": rng.random() < 0.2,
            "holiday": rng.random() < 0.05,
            "weekday": rng.choice(WEEKDAYS),
            "season": rng.choice(SEASONS),
            "temperature": round(rng.uniform(-10, 35), 1),
        }
        for _ in range(count)
    ]


def interpreter(project: Path) -> Path:
    """The Python of a generated project's environment."""
    return project / ".venv" / "bin" / "python"


def compile_bytecode(project: Path) -> None:
    """Compile the project's environment and code to bytecode, as its Dockerfile does.

    The image installs with `UV_COMPILE_BYTECODE=1`; `uv sync` leaves that out by default, and
    where PYTHONDONTWRITEBYTECODE is set every start would compile the imports from source.
    """
    subprocess.run(
        [template_timing.tool("uv"), "sync", "--quiet", "--compile-bytecode"],
        cwd=project,
        env={**os.environ, **template_timing.uv_environment()},
        check=True,
    )
    subprocess.run(
        [str(interpreter(project)), "-m", "compileall", "-q", "src"], cwd=project, check=True
    )


def peer_venv(name: str, venvs: Path, project_python: Path) -> Path:
    """The peer's venv, created from its pinned requirements plus the project's scikit-learn."""
    venv = venvs / f".venv-{name}"
    marker = venv / ".benchmark-ready"
    pins = subprocess.run(
        [
            str(project_python),
            "-c",
            "import importlib.metadata as m; "
            "print(*(f'{p}=={m.version(p)}' for p in ('scikit-learn', 'joblib')))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    requirements = HERE / f"requirements-{name}.txt"
    wanted = requirements.read_text() + "\n".join([*pins, "--compile-bytecode"])
    if marker.exists() and marker.read_text() == wanted:
        return venv
    uv = template_timing.tool("uv")
    print(f"  creating {venv} ({', '.join(pins)})", flush=True)
    subprocess.run([uv, "venv", "--quiet", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",  # as the generated service's environment (compile_bytecode)
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(requirements),
            *pins,
        ],
        check=True,
    )
    marker.write_text(wanted)
    return venv


def servers(
    project: Path,
    model_dir: Path,
    workdir: Path,
    args: argparse.Namespace,
    rows: list[Any],
    matrix: list[list[float]],
) -> list[serving.Server]:
    """The three servers of the same model, each with its own request bodies."""
    ours_bodies = {
        "single": json.dumps({"instances": rows[:1]}).encode(),
        "batch": json.dumps({"instances": rows}).encode(),
    }
    port = serving.free_port()
    found = [
        serving.Server(
            name="generated",
            command=[str(interpreter(project)), "-m", f"{PACKAGE}.serve"],
            port=port,
            predict_path="/predict",
            bodies=ours_bodies,
            env={
                "MODEL_DIR": str(model_dir),
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "WORKERS": str(args.workers),
                "LOG_LEVEL": "warning",
            },
            cwd=project,
            log=workdir / "generated.log",
        )
    ]
    if args.skip_peers:
        return found
    python = interpreter(project)
    bentoml = peer_venv("bentoml", args.venvs, python)
    found.append(
        serving.Server(
            name="bentoml",
            command=[
                str(bentoml / "bin" / "bentoml"),
                "serve",
                "bentoml_service:DemandForecast",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
            ],
            port=serving.free_port(),
            predict_path="/predict",
            bodies=ours_bodies,
            env={
                "BENCHMARK_MODEL": str(model_dir / "pipeline.joblib"),
                "BENCHMARK_WORKERS": str(args.workers),
                "BENTOML_HOME": str(workdir / "bentoml"),
                "BENTOML_DO_NOT_TRACK": "true",
            },
            cwd=HERE / "peers",
            log=workdir / "bentoml.log",
        )
    )
    mlserver = peer_venv("mlserver", args.venvs, python)
    repository = workdir / "mlserver"
    (repository / "demand").mkdir(parents=True, exist_ok=True)
    (repository / "demand" / "model.joblib").symlink_to(model_dir / "pipeline.joblib")
    port = serving.free_port()
    (repository / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": port,
                "grpc_port": serving.free_port(),
                "metrics_port": serving.free_port(),
                "parallel_workers": args.workers,
                "debug": False,
            }
        )
    )
    (repository / "demand" / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "demand",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib", "version": "v1"},
            }
        )
    )

    def v2(rows_: list[list[float]]) -> bytes:
        data = [value for row in rows_ for value in row]
        tensor = {"name": "input-0", "shape": [len(rows_), 7], "datatype": "FP32", "data": data}
        return json.dumps({"inputs": [tensor]}).encode()

    found.append(
        serving.Server(
            name="mlserver",
            command=[str(mlserver / "bin" / "mlserver"), "start", str(repository)],
            port=port,
            predict_path="/v2/models/demand/infer",
            bodies={"single": v2(matrix[:1]), "batch": v2(matrix)},
            env={"MLSERVER_METRICS_DIR": str(workdir / "mlserver-metrics")},
            cwd=repository,
            log=workdir / "mlserver.log",
        )
    )
    return found


def load(
    url: str,
    script: Path,
    connections: int,
    args: argparse.Namespace,
    cpus: frozenset[int] | None = None,
) -> dict[str, Any]:
    """`--repeats` wrk runs of `--duration` seconds (new connections each), as medians."""
    runs = [
        serving.run_wrk(url, script, connections, args.duration, cpus) for _ in range(args.repeats)
    ]
    return report.combine(runs).as_dict()


def load_beside_http_floor(
    single: tuple[str, Path], floor: tuple[str, Path], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`load` of single instances and of the HTTP floor, their runs alternating.

    Each single-instance run is compared with the floor run right after it (see
    `load_beside_floor`): the goal takes the median of these pairs' ratios of req/s.
    """
    runs, floors = [], []
    for _ in range(args.repeats):
        runs.append(serving.run_wrk(*single, args.connections, args.duration))
        floors.append(serving.run_wrk(*floor, args.connections, args.duration))
    ratios = [
        run.requests_per_second / floor.requests_per_second
        for run, floor in zip(runs, floors, strict=True)
    ]
    return report.combine(runs).as_dict(), {
        **report.combine(floors).as_dict(),
        "pair_ratios": ratios,
    }


def load_beside_floor(
    url: str,
    script: Path,
    project: Path,
    floor_inputs: list[str],
    args: argparse.Namespace,
    placement: serving.Placement,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`--batch-pairs` short wrk runs of one connection, each between two compute floor runs.

    The machine's speed drifts by 10-20% within seconds, so each load run is compared with the
    mean of the floors measured right before and right after it, by one process that keeps the
    model loaded: the goal takes the median of these pairs' p50 / floor. The floor runs on the
    server's CPU of the `placement`, wrk on another: each CPU of this VM drifts on its own.
    """
    with subprocess.Popen(
        [str(interpreter(project)), str(HERE / "compute_floor.py"), *floor_inputs],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=serving.on_cpus(placement.server),
    ) as floor_process:
        assert floor_process.stdin and floor_process.stdout

        def measure_floor() -> dict[str, Any]:
            floor_process.stdin.write(f"{PAIR_FLOOR_S}\n")
            floor_process.stdin.flush()
            if not (line := floor_process.stdout.readline()):
                raise RuntimeError(f"compute_floor.py exited with {floor_process.wait()}")
            return json.loads(line)

        runs, floors = [], [measure_floor()]
        for _ in range(args.batch_pairs):
            runs.append(serving.run_wrk(url, script, 1, PAIR_LOAD_S, placement.client))
            floors.append(measure_floor())
        floor_process.stdin.close()
    if floor_process.returncode:
        raise RuntimeError(f"compute_floor.py exited with {floor_process.returncode}")
    floor = {
        "median_ms": report.median(run["median_ms"] for run in floors),
        "best_ms": min(run["best_ms"] for run in floors),
        "calls": sum(run["calls"] for run in floors),
        "pair_ratios": bracketed_ratios(
            [load.p50_ms for load in runs], [run["median_ms"] for run in floors]
        ),
    }
    return report.combine(runs).as_dict(), floor


def bracketed_ratios(p50s: list[float], floors: list[float]) -> list[float]:
    """Each load run's p50 over the mean of the floors measured right before and after it."""
    if len(floors) != len(p50s) + 1:
        needed = len(p50s) + 1
        raise ValueError(f"{len(p50s)} load runs need {needed} floor runs, not {len(floors)}")
    around = pairwise(floors)
    return [p50 / ((before + after) / 2) for p50, (before, after) in zip(p50s, around, strict=True)]


def predictions_of(server: serving.Server, body: Any) -> list[float]:
    """The predictions in a server's answer; MLServer's unclipped, as scikit-learn's."""
    if server.name == "mlserver":
        return [max(value, 0.0) for value in body["outputs"][0]["data"]]
    return body["predictions"]


def bench_serving(
    project: Path, workdir: Path, args: argparse.Namespace, results: dict[str, Any]
) -> None:
    compile_bytecode(project)
    rows = instances(BATCH)
    (workdir / "instances.json").write_text(json.dumps(rows))
    model_dir = workdir / "model"
    print("Training the model once for every server ...", flush=True)
    exported = json.loads(
        subprocess.run(
            [
                str(interpreter(project)),
                str(HERE / "export_model.py"),
                PACKAGE,
                str(model_dir),
                "--instances",
                str(workdir / "instances.json"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    results["compute_floor"] = exported["compute_floor"]
    (workdir / "matrix.json").write_text(json.dumps(exported["matrix"]))
    floor_inputs = [PACKAGE, str(model_dir), str(workdir / "matrix.json")]
    results["model"] = {
        "version": exported["model_version"],
        "onnx_vs_sklearn_max_abs_diff": exported["onnx_vs_sklearn_max_abs_diff"],
    }
    reference = exported["sklearn_predictions"]
    results["serving"] = {}
    placement = serving.split_cpus()  # of the batch runs
    results["batch_cpus"] = {
        "server": sorted(placement.server or []),
        "client": sorted(placement.client or []),
    }
    for server in servers(project, model_dir, workdir, args, rows, exported["matrix"]):
        server.command = [part.replace("{port}", str(server.port)) for part in server.command]
        print(f"Serving with {report.LABELS[server.name]} ...", flush=True)
        measured: dict[str, Any] = {}
        try:
            measured["cold_start_s"] = server.start()
            answer = predictions_of(server, server.predictions("batch"))
            measured["max_abs_diff_to_sklearn"] = difference = max(
                abs(a - b) for a, b in zip(answer, reference, strict=True)
            )
            if difference > PREDICTION_TOLERANCE:
                raise RuntimeError(
                    f"{server.name} predicts up to {difference:.2g} units away from "
                    "scikit-learn's pipeline: not the same model"
                )
            measured["idle_rss_mib"], measured["processes"] = server.idle_rss()
            scripts = {
                shape: serving.wrk_script(workdir, f"{server.name}-{shape}", body)
                for shape, body in server.bodies.items()
            }
            serving.run_wrk(server.url, scripts["single"], args.connections, 2)  # warm-up
            if server.name == "generated":
                health = f"http://127.0.0.1:{server.port}/health"
                get = serving.wrk_script(workdir, "health", None)
                measured["single"], measured["http_floor"] = load_beside_http_floor(
                    (server.url, scripts["single"]), (health, get), args
                )
                with serving.pinned(server.process.pid, placement.server):
                    measured["batch"], measured["compute_floor"] = load_beside_floor(
                        server.url, scripts["batch"], project, floor_inputs, args, placement
                    )
            else:
                measured["single"] = load(server.url, scripts["single"], args.connections, args)
                with serving.pinned(server.process.pid, placement.server):
                    measured["batch"] = load(
                        server.url, scripts["batch"], 1, args, placement.client
                    )
        finally:
            server.stop()
        if server.name == "generated" and args.workers > 1:
            # The same server as one process: no supervisor, no spawned workers.
            server.env = {**server.env, "WORKERS": "1"}
            server.log = workdir / "generated-1-worker.log"
            try:
                measured["cold_start_1_worker_s"] = server.start()
                measured["idle_rss_1_worker_mib"], measured["processes_1_worker"] = (
                    server.idle_rss()
                )
            finally:
                server.stop()
        results["serving"][server.name] = measured
        print(json.dumps(measured), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "duration_s": args.duration,
            "repeats": args.repeats,
            "batch_pairs": args.batch_pairs,
            "connections": args.connections,
            "batch_instances": BATCH,
            "workers": args.workers,
            "template_runs": args.template_runs,
        },
    }
    with tempfile.TemporaryDirectory(prefix="template-benchmark-") as scratch:
        workdir = Path(scratch)
        (workdir / "template").mkdir()
        template = template_timing.snapshot(ROOT, workdir / "template")
        if "template" in args.only:
            print("Timing cookiecutter, copier copy and copier update ...", flush=True)
            results["template"] = template_timing.generation_times(template, args.template_runs)
            results["template"]["copier_update_s"] = template_timing.update_time(
                template, UPDATE_RUNS
            )
        single = json.dumps({"instances": instances(1)}).encode()
        project = None
        if "ttfp" in args.only or "serving" in args.only:
            # An untimed first run warms the package cache; its project serves the benchmark.
            print("Time to first prediction ...", flush=True)
            _, project = template_timing.first_prediction(
                template, workdir / "warm", template_timing.DEFAULT_VARIANT, single
            )
            if "ttfp" in args.only:
                results["time_to_first_prediction_s"] = {
                    variant: template_timing.first_prediction(
                        template, workdir / "ttfp", variant, single
                    )[0]
                    for variant in template_timing.HOSTING_VARIANTS
                }
        if "serving" in args.only and project:
            bench_serving(project, workdir, args, results)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report.markdown(results)
    (args.output / "latest.md").write_text(text)
    print()
    print(text)
    print(f"Finished in {results['elapsed_s']:.0f} s; results in {args.output}")
    return 1 if any(goal.passed is False for goal in report.goals(results)) else 0


if __name__ == "__main__":
    sys.exit(main())
