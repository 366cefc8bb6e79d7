"""Pure helpers of the benchmark: parse wrk's output, check the goals, render the tables."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

SERVERS = ("generated", "bentoml", "mlserver")
LABELS = {
    "generated": "Generated service",
    "bentoml": "BentoML",
    "mlserver": "MLServer",
}
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class Load:
    """What one wrk run measured: throughput and latency percentiles in milliseconds."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_duration_ms(text: str) -> float:
    """`1.23ms`, `850.00us`, `1.02s` as milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> Load:
    """The numbers of `wrk --latency` output; non-2xx answers and socket errors count as failed."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rate and total and {"50", "99"} <= percentiles.keys()):
        raise ValueError(f"unexpected wrk output:\n{output}")
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output)) + sum(
        int(n)
        for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output.partition("Socket")[2])
    )
    return Load(
        requests_per_second=float(rate[1]),
        p50_ms=parse_duration_ms(percentiles["50"]),
        p99_ms=parse_duration_ms(percentiles["99"]),
        requests=int(total[1]),
        failed=failed,
    )


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def combine(loads: list[Load]) -> Load:
    """Repeated runs of one load test: the median of each number, requests and failures summed."""
    return Load(
        requests_per_second=median(load.requests_per_second for load in loads),
        p50_ms=median(load.p50_ms for load in loads),
        p99_ms=median(load.p99_ms for load in loads),
        requests=sum(load.requests for load in loads),
        failed=sum(load.failed for load in loads),
    )


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    measured: str
    passed: bool | None  # None: not measured in this run


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _paired(floor: Mapping[str, Any] | None) -> float | None:
    return median(floor["pair_ratios"]) if floor and floor.get("pair_ratios") else None


def _load(results: Mapping[str, Any], server: str, shape: str) -> Mapping[str, Any] | None:
    return results.get("serving", {}).get(server, {}).get(shape)


def _shown(value: float, target: str) -> str:
    """`value` to two decimals, or three where two would round it onto the target's limit."""
    limit = float(target.split()[1].rstrip("x"))
    return f"{value:.3f}" if round(value, 2) == limit and value != limit else f"{value:.2f}"


def goals(results: Mapping[str, Any]) -> list[Goal]:
    """Every goal of the issue, checked against one run's results."""
    checks: list[Goal] = []

    def add(name: str, target: str, value: float | None, passed: bool, unit: str = "") -> None:
        measured = "not measured" if value is None else f"{_shown(value, target)}{unit}"
        checks.append(Goal(name, target, measured, None if value is None else passed))

    ours = _load(results, "generated", "single")
    for peer, factor in (("bentoml", 2.0), ("mlserver", 1.5)):
        theirs = _load(results, peer, "single")
        ratio = _ratio(
            ours and ours["requests_per_second"], theirs and theirs["requests_per_second"]
        )
        add(f"single req/s vs {LABELS[peer]}", f">= {factor}x", ratio, (ratio or 0) >= factor, "x")
        p99 = _ratio(ours and ours["p99_ms"], theirs and theirs["p99_ms"])
        add(f"single p99 vs {LABELS[peer]}", "<= 1.00x", p99, (p99 or 0) <= 1.0, "x")
    generated = results.get("serving", {}).get("generated", {})
    # Each load run against the floor run next to it (`run.load_beside_*`), as a median.
    share = _paired(generated.get("http_floor"))
    add("single req/s vs HTTP floor", ">= 0.50x", share, (share or 0) >= 0.5, "x")
    slowdown = _paired(generated.get("compute_floor"))
    add("batch p50 vs compute floor", "<= 1.30x", slowdown, (slowdown or 0) <= 1.3, "x")
    cold = generated.get("cold_start_s")
    add("cold start", "< 2 s", cold, (cold or 0) < 2.0, " s")
    rss = generated.get("idle_rss_mib")
    peers_rss = [
        results["serving"][peer]["idle_rss_mib"]
        for peer in ("bentoml", "mlserver")
        if results.get("serving", {}).get(peer, {}).get("idle_rss_mib") is not None
    ]
    add(
        "idle RSS vs lightest peer",
        "<= 1.00x",
        _ratio(rss, min(peers_rss)) if peers_rss else None,
        rss is not None and bool(peers_rss) and rss <= min(peers_rss),
        "x",
    )
    template = results.get("template", {})
    slowest = max(template.get("cookiecutter_s", {}).values(), default=None)
    add(
        "cookiecutter --no-input (slowest variant, median)",
        "< 1 s",
        slowest,
        (slowest or 0) < 1.0,
        " s",
    )
    ttfp = max(results.get("time_to_first_prediction_s", {}).values(), default=None)
    add("time to first prediction (slowest variant)", "< 60 s", ttfp, (ttfp or 0) < 60.0, " s")
    # Every number above assumes the service answered; an error is often faster than a prediction.
    failed = failures(results).get("generated")
    checks.append(
        Goal(
            "failed requests of the generated service",
            "0",
            "not measured" if failed is None else str(failed),
            None if failed is None else failed == 0,
        )
    )
    return checks


def failures(results: Mapping[str, Any]) -> dict[str, int]:
    """Failed requests (non-2xx answers, socket errors) of each server's load runs, summed."""
    return {
        server: sum(
            load["failed"]
            for load in measured.values()
            if isinstance(load, dict) and "failed" in load
        )
        for server, measured in results.get("serving", {}).items()
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def serving_table(results: Mapping[str, Any]) -> str:
    """Throughput and latency of each server and shape, with ratios to the generated service."""
    rows = [
        "| Server | Shape | req/s | p50 ms | p99 ms | req/s: generated / this | "
        "p99: this / generated |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    serving = results.get("serving", {})
    settings = results.get("settings", {})
    connections = settings.get("connections", "?")
    batch = f"{settings['batch_instances']:,}" if "batch_instances" in settings else "?"
    shapes = (
        ("single", f"1 instance, {connections} conn."),
        ("batch", f"{batch} instances, 1 conn."),
    )
    for shape, title in shapes:
        ours = _load(results, "generated", shape)
        for server in SERVERS:
            load = _load(results, server, shape)
            if not load:
                continue
            speedup = _ratio(ours and ours["requests_per_second"], load["requests_per_second"])
            rows.append(
                f"| {LABELS[server]} | {title} | {_fmt(load['requests_per_second'])} "
                f"| {_fmt(load['p50_ms'], 2)} | {_fmt(load['p99_ms'], 2)} | {_times(speedup)} "
                f"| {_times(_ratio(load['p99_ms'], ours and ours['p99_ms']))} |"
            )
    floor = serving.get("generated", {}).get("http_floor")
    if floor:
        rows.append(
            f"| HTTP floor: `GET /health`, same server | no model, {connections} conn. "
            f"| {_fmt(floor['requests_per_second'])} | {_fmt(floor['p50_ms'], 2)} "
            f"| {_fmt(floor['p99_ms'], 2)} | - | - |"
        )
    beside = serving.get("generated", {}).get("compute_floor")
    if beside:
        rows.append(
            f"| Compute floor: in-process ONNX `predict`, beside the batch test | {batch} rows "
            f"| - | {_fmt(beside['median_ms'], 2)} | - | - | - |"
        )
    compute = results.get("compute_floor", {})
    if compute:
        rows.append(
            f"| (the same, best of rounds before the servers start) | 1 / {batch} rows | - "
            f"| {_fmt(compute.get('onnx_single_ms'), 3)} / {_fmt(compute.get('onnx_batch_ms'), 2)} "
            "| - | - | - |"
        )
        rows.append(
            f"| (scikit-learn `predict`, the peers' model) | 1 / {batch} rows | - "
            f"| {_fmt(compute.get('sklearn_single_ms'), 3)} "
            f"/ {_fmt(compute.get('sklearn_batch_ms'), 2)} | - | - | - |"
        )
    failed = [f"{LABELS[server]} {count:,}" for server, count in failures(results).items() if count]
    if failed:
        rows += [
            "",
            f"Failed requests (their numbers do not measure predictions): {', '.join(failed)}",
        ]
    return "\n".join(rows)


def process_table(results: Mapping[str, Any]) -> str:
    workers = results.get("settings", {}).get("workers", "?")
    rows = [
        f"| Server ({workers} workers) | Cold start s | Idle RSS MiB | Processes |",
        "| --- | ---: | ---: | ---: |",
    ]
    for server in SERVERS:
        data = results.get("serving", {}).get(server)
        if data:
            rows.append(
                f"| {LABELS[server]} | {_fmt(data.get('cold_start_s'), 2)} "
                f"| {_fmt(data.get('idle_rss_mib'))} | {data.get('processes', '-')} |"
            )
    ours = results.get("serving", {}).get("generated", {})
    if "cold_start_1_worker_s" in ours:
        rows.append(
            f"| Generated service, 1 worker | {_fmt(ours['cold_start_1_worker_s'], 2)} "
            f"| {_fmt(ours.get('idle_rss_1_worker_mib'))} | {ours.get('processes_1_worker', '-')} |"
        )
    return "\n".join(rows)


def template_table(results: Mapping[str, Any]) -> str:
    template = results.get("template", {})
    ttfp = results.get("time_to_first_prediction_s", {})
    variants = list(
        dict.fromkeys([*template.get("cookiecutter_s", {}), *template.get("copier_s", {}), *ttfp])
    )
    rows = [
        "| Hosting variant | `cookiecutter --no-input` s | `copier copy --defaults` s "
        "| Time to first prediction s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for variant in variants:
        rows.append(
            f"| {variant} | {_fmt(template.get('cookiecutter_s', {}).get(variant), 2)} "
            f"| {_fmt(template.get('copier_s', {}).get(variant), 2)} | {_fmt(ttfp.get(variant))} |"
        )
    if "copier_update_s" in template:
        update = _fmt(template["copier_update_s"], 2)
        rows.append(f"| `copier update` v1 to v2 (default variant) | - | {update} | - |")
    return "\n".join(rows)


def goals_table(checks: Iterable[Goal]) -> str:
    rows = ["| Goal | Target | Measured | Result |", "| --- | --- | ---: | --- |"]
    for check in checks:
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[check.passed]
        rows.append(f"| {check.name} | {check.target} | {check.measured} | {verdict} |")
    return "\n".join(rows)


def markdown(results: Mapping[str, Any]) -> str:
    """The full report: machine, serving, processes, template timings and goals."""
    machine = results.get("machine", {})
    facts = ", ".join(f"{key}: {value}" for key, value in machine.items())
    parts = [f"Machine: {facts}", ""]
    if results.get("serving"):
        parts += [serving_table(results), "", process_table(results), ""]
    if results.get("template") or results.get("time_to_first_prediction_s"):
        parts += [template_table(results), ""]
    parts.append(goals_table(goals(results)))
    return "\n".join(parts) + "\n"
