"""Smoke tests of the benchmark's own code (benchmarks/): parsing, goals and report, no timing."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import report
import run
import serving

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/predict
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.10ms    3.27ms  48.60ms   82.34%
    Req/Sec     2.29k   210.55     2.61k    77.00%
  Latency Distribution
     50%   13.25ms
     75%   15.01ms
     90%   17.60ms
     99%    1.02s
  22803 requests in 10.00s, 4.14MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   2280.30
Transfer/sec:    423.11KB
"""


def test_wrk_output_is_parsed() -> None:
    load = report.parse_wrk(WRK_OUTPUT)
    assert load == report.Load(
        requests_per_second=2280.30, p50_ms=13.25, p99_ms=1020.0, requests=22803, failed=8
    )


@pytest.mark.parametrize(
    ("text", "ms"), [("850.00us", 0.85), ("1.50ms", 1.5), ("2.00s", 2000.0), ("1.00m", 60000.0)]
)
def test_wrk_durations_are_milliseconds(text: str, ms: float) -> None:
    assert report.parse_duration_ms(text) == pytest.approx(ms)


def test_unexpected_wrk_output_is_an_error() -> None:
    with pytest.raises(ValueError, match="unexpected wrk output"):
        report.parse_wrk("wrk: connection refused")


def test_each_batch_run_is_compared_with_the_floors_around_it() -> None:
    assert run.bracketed_ratios([6.0, 5.0], [4.0, 6.0, 4.0]) == [1.2, 1.0]
    with pytest.raises(ValueError, match="2 load runs need 3 floor runs, not 2"):
        run.bracketed_ratios([6.0, 5.0], [4.0, 6.0])


def _load(rps: float, p50: float, p99: float) -> dict[str, float]:
    return {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99, "requests": 1, "failed": 0}


RESULTS = {
    "machine": {"cores": 2},
    "settings": {"workers": 2, "connections": 32, "batch_instances": 1000},
    "compute_floor": {"onnx_single_ms": 0.01, "onnx_batch_ms": 4.0},  # not the goal's
    "serving": {
        "generated": {
            "single": _load(3000, 10, 20),
            "batch": _load(200, 5.0, 8),
            "compute_floor": {"median_ms": 2.0, "best_ms": 1.9, "calls": 900, "pair_ratios": [2.5]},
            "http_floor": {**_load(5000, 6, 12), "pair_ratios": [0.6]},
            "cold_start_s": 1.5,
            "idle_rss_mib": 100,
            "cold_start_1_worker_s": 1.2,
            "idle_rss_1_worker_mib": 60,
            "processes_1_worker": 1,
        },
        "bentoml": {"single": _load(1000, 30, 40), "idle_rss_mib": 400, "cold_start_s": 9},
        "mlserver": {"single": _load(2500, 12, 19), "idle_rss_mib": 600, "cold_start_s": 15},
    },
    "template": {"cookiecutter_s": {"on-prem + compose": 0.8, "paas + aws": 1.2}},
}


def test_goals_pass_and_fail_on_the_measured_ratios() -> None:
    verdicts = {goal.name: goal.passed for goal in report.goals(RESULTS)}
    assert verdicts == {
        "single req/s vs BentoML": True,  # 3.0x >= 2x
        "single p99 vs BentoML": True,
        "single req/s vs MLServer": False,  # 1.2x < 1.5x
        "single p99 vs MLServer": False,  # 20 ms > 19 ms
        "single req/s vs HTTP floor": True,  # 0.6
        "batch p50 vs compute floor": False,  # 2.5x
        "cold start": True,
        "idle RSS vs lightest peer": True,
        "cookiecutter --no-input (slowest variant, median)": False,  # 1.2 s
        "time to first prediction (slowest variant)": None,  # not measured
        "failed requests of the generated service": True,
    }


def test_failed_requests_fail_the_run_and_are_named() -> None:
    failing = json.loads(json.dumps(RESULTS))
    failing["serving"]["generated"]["batch"]["failed"] = 7  # e.g. 422s, faster than predictions
    failing["serving"]["bentoml"]["single"]["failed"] = 1_200
    (goal,) = [goal for goal in report.goals(failing) if goal.name.startswith("failed requests")]
    assert (goal.measured, goal.passed) == ("7", False)
    text = report.markdown(failing)
    assert "Failed requests (their numbers do not measure predictions): " in text
    assert "Generated service 7, BentoML 1,200" in text
    assert "Failed requests (" not in report.markdown(RESULTS)


def test_the_batch_goal_is_the_median_of_the_pairs_ratios() -> None:
    paired = json.loads(json.dumps(RESULTS))
    paired["serving"]["generated"]["compute_floor"]["pair_ratios"] = [1.2, 1.5, 1.25]
    (goal,) = [goal for goal in report.goals(paired) if goal.name.startswith("batch p50")]
    assert (goal.measured, goal.passed) == ("1.25x", True)  # not 5.0 / 2.0 of the medians


@pytest.mark.parametrize(
    ("ratios", "shown", "passed"),
    [([1.3033], "1.303x", False), ([1.2951], "1.295x", True), ([1.3], "1.30x", True)],
)
def test_a_ratio_next_to_its_limit_is_shown_on_its_side(
    ratios: list[float], shown: str, passed: bool
) -> None:
    paired = json.loads(json.dumps(RESULTS))
    paired["serving"]["generated"]["compute_floor"]["pair_ratios"] = ratios
    (goal,) = [goal for goal in report.goals(paired) if goal.name.startswith("batch p50")]
    assert (goal.measured, goal.passed) == (shown, passed)


def test_the_http_floor_goal_is_the_median_of_the_pairs_ratios() -> None:
    paired = json.loads(json.dumps(RESULTS))
    paired["serving"]["generated"]["http_floor"]["pair_ratios"] = [0.45, 0.55, 0.52]
    (goal,) = [goal for goal in report.goals(paired) if goal.name.endswith("HTTP floor")]
    assert (goal.measured, goal.passed) == ("0.52x", True)  # not 3,000 / 5,000 of the medians


def test_report_has_every_table() -> None:
    text = report.markdown(RESULTS)
    assert "| Generated service | 1 instance, 32 conn. | 3,000.0 | 10.00 | 20.00 | 1.00x" in text
    assert "| BentoML | 1 instance, 32 conn. | 1,000.0 | 30.00 | 40.00 | 3.00x | 2.00x |" in text
    assert "| single req/s vs MLServer | >= 1.5x | 1.20x | FAIL |" in text
    assert "| time to first prediction (slowest variant) | < 60 s | not measured | n/a |" in text
    assert "`predict`, beside the batch test | 1,000 rows | - | 2.00 | - |" in text
    assert "| Generated service, 1 worker | 1.20 | 60.0 | 1 |" in text


def test_arguments() -> None:
    args = run.parse_args(["--only", "serving, template", "--duration", "3"])
    assert args.only == ["serving", "template"]
    assert args.duration == 3  # wrk takes whole seconds
    assert args.repeats == 3
    assert args.connections == 32
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "everything"])
    with pytest.raises(SystemExit):
        run.parse_args(["--duration", "2.5"])


def test_repeated_runs_are_reported_as_medians() -> None:
    runs = [
        report.Load(100, 1.0, 9.0, 10, 0),
        report.Load(300, 3.0, 5.0, 30, 1),
        report.Load(200, 2.0, 7.0, 20, 0),
    ]
    assert report.combine(runs) == report.Load(200, 2.0, 7.0, 60, 1)


TWO_CPUS = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")

# A process with a second thread and a child process, which says when both are running.
TREE = """
import subprocess, sys, threading, time
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
time.sleep(0.5)
print("running", flush=True)
time.sleep(60)
"""


def threads_of(root: int) -> list[int]:
    return [
        int(task.name)
        for pid in serving.process_tree(root)
        for task in Path(f"/proc/{pid}/task").iterdir()
    ]


@TWO_CPUS
def test_the_server_and_the_client_get_cpus_of_their_own() -> None:
    placement = serving.split_cpus()
    assert placement.server and placement.client
    assert not placement.server & placement.client
    shown = "import os; print(sorted(os.sched_getaffinity(0)))"
    started = subprocess.run(
        [sys.executable, "-c", shown],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=serving.on_cpus(placement.client),
    )
    assert json.loads(started.stdout) == sorted(placement.client)


@TWO_CPUS
def test_every_thread_of_a_process_tree_is_pinned_then_let_go() -> None:
    placement = serving.split_cpus()
    everywhere = os.sched_getaffinity(0)
    with subprocess.Popen(
        [sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as tree:
        try:
            assert tree.stdout and tree.stdout.readline() == "running\n"
            threads = threads_of(tree.pid)
            assert len(threads) >= 3  # the parent's two threads and its child's
            with serving.pinned(tree.pid, placement.server):
                assert {t: os.sched_getaffinity(t) for t in threads} == dict.fromkeys(
                    threads, placement.server
                )
            assert all(os.sched_getaffinity(t) == everywhere for t in threads)
        finally:
            os.killpg(tree.pid, signal.SIGKILL)


def test_on_one_cpu_nothing_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("pinned")

    monkeypatch.setattr(serving.os, "sched_getaffinity", lambda _: {3})
    monkeypatch.setattr(serving.os, "sched_setaffinity", refuse)
    placement = serving.split_cpus()
    assert placement == serving.Placement(server=None, client=None)
    assert serving.on_cpus(placement.client) is None
    with serving.pinned(os.getpid(), placement.server):
        pass
