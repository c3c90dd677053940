"""Turn pytest-benchmark's JSON into a short markdown table with the ratios that matter.

python benchmarks/report.py benchmarks/results/latest.json > benchmarks/results/latest.md
"""

from __future__ import annotations

import json
import sys

RATIOS = [
    ("core vs Mesa loop (same runs)", "test_mesa_runs_one_by_one", "test_core_runs"),
    (
        "core vs NegMAS (same bilateral negotiations)",
        "test_negmas_one_by_one",
        "test_negosim_batched",
    ),
    (
        "learned (frequency model) vs complete information, package_2007 (target <= 1.5x)",
        "test_information_package_2007[learned_frequency]",
        "test_information_package_2007[complete]",
    ),
    (
        "learned (Bayesian model) vs complete information, package_2007 (target <= 5x)",
        "test_information_package_2007[learned_bayesian]",
        "test_information_package_2007[complete]",
    ),
    (
        "exchange model vs decide-exchange-model (sample data, 10 rounds)",
        "test_exchange_sample_data_decide",
        "test_exchange_sample_data_negosim",
    ),
]

KERNEL = "test_simulate_vs_compiled_kernel"
KERNEL_RATIOS = [  # evaluations/s of the core over the compiled kernel's (test_bench_kernel.py)
    ("core vs compiled reference kernel, single thread", "kernel"),
    ("core vs compiled reference kernel, parallel", "kernel_parallel"),
]
WORKERS_RATIO = "workers_vs_kernel_parallel"  # the core on Dask workers, one per kernel thread


def main(path: str) -> None:
    with open(path) as fh:
        data = json.load(fh)
    rows = {b["name"]: b for b in data["benchmarks"]}
    print(
        f"# Benchmarks ({data['machine_info'].get('cpu', {}).get('brand_raw', 'cpu')}, "
        f"{data['datetime'][:10]})\n"
    )
    print("| benchmark | min s | runs/s | evaluations/s |")
    print("|---|---:|---:|---:|")
    for name, b in rows.items():
        info = b.get("extra_info", {})
        runs_s = info.get("runs_per_s") or (info.get("runs", 0) / b["stats"]["min"])
        evals = info.get("evals_per_s")
        print(
            f"| {name} | {b['stats']['min']:.4g} | {runs_s:,.0f} | "
            f"{'' if evals is None else f'{evals:.3g}'} |"
        )
    print("\n| ratio | value |\n|---|---:|")
    for label, slow, fast in RATIOS:
        if slow in rows and fast in rows:
            per_run = [
                rows[n]["stats"]["min"] / max(rows[n]["extra_info"].get("runs", 1), 1)
                for n in (slow, fast)
            ]
            print(f"| {label} | {per_run[0] / per_run[1]:,.1f}x |")
    info = rows.get(KERNEL, {}).get("extra_info", {})
    for label, name in KERNEL_RATIOS:
        if f"simulate_vs_{name}" in info:
            rate = f"{info[f'{name}_evals_per_s']:.3g} evaluations/s"
            threads = f", {info['threads']} threads" if name.endswith("parallel") else ""
            print(f"| {label} ({rate}{threads}) | {info[f'simulate_vs_{name}']:.3f}x |")
    if WORKERS_RATIO in info:
        label = f"core on {info['threads']} Dask worker processes vs compiled kernel, parallel"
        print(f"| {label} | {info[WORKERS_RATIO]:.3f}x |")
    print_targets(rows)


TARGETS = [  # issue 12: (label, how it is read from the JSON, target, at least or at most)
    ("alternating evaluations/s vs compiled kernel, 1 thread", ("kernel", "kernel"), 0.3, ">="),
    (  # both on every core: the core on as many Dask worker processes as kernel threads
        "alternating evaluations/s vs compiled kernel, parallel (core on as many workers)",
        ("workers", KERNEL),
        0.3,
        ">=",
    ),
    ("mediated vs alternating runs/s", ("runs", "test_protocols_10k[mediated]"), 0.7, ">="),
    ("eum vs alternating runs/s", ("vs", "test_models_on_package_2007[eum]"), 0.2, ">="),
    (
        "exchange (float) vs alternating runs/s",
        ("vs", "test_exchange_on_package_2007[float]"),
        0.02,
        ">=",
    ),
    *[
        (f"{kind} vs alternating runs/s, {label}", ("vs", f"{test}[{kind}]"), 0.2, ">=")
        for label, test in [
            ("with coalitions", "test_models_on_package_2007"),
            ("without coalitions", "test_solutions_without_coalitions_on_package_2007"),
        ]
        for kind in ("nash", "kalai_smorodinsky", "utilitarian")
    ],
    (
        "10^7 runs into a store, peak memory (MiB)",
        ("memory", "test_peak_memory_into_store"),
        1536,
        "<",
    ),
]


def _target_value(rows: dict, how: tuple[str, str]) -> float | None:
    kind, name = how
    if kind == "kernel":
        return rows.get(KERNEL, {}).get("extra_info", {}).get(f"simulate_vs_{name}")
    if kind == "workers":
        return rows.get(KERNEL, {}).get("extra_info", {}).get(WORKERS_RATIO)
    info = rows.get(name, {}).get("extra_info", {})
    if kind == "vs":
        return info.get("vs_alternating")
    if kind == "memory":
        return info.get("peak_rss_mb")
    alternating = rows.get("test_protocols_10k[alternating]", {}).get("extra_info", {})
    if "runs_per_s" in info and "runs_per_s" in alternating:
        return info["runs_per_s"] / alternating["runs_per_s"]
    return None


def print_targets(rows: dict) -> None:
    """The targets of issue 12 with the values of this run and whether each is met."""
    print("\n| target (issue 12) | this run | target | met |\n|---|---:|---:|---|")
    for label, how, target, sense in TARGETS:
        value = _target_value(rows, how)
        if value is None or value != value:  # not measured in this run (or NaN)
            continue
        met = value >= target if sense == ">=" else value < target
        shown = f"{value:,.0f}" if how[0] == "memory" else f"{value:.3g}x"
        print(f"| {label} | {shown} | {sense} {target:g} | {'yes' if met else 'no'} |")


def _seconds(row: dict) -> float:
    """A benchmark's own timing of the work where it reports one, else pytest-benchmark's."""
    return row.get("extra_info", {}).get("model_seconds_min") or row["stats"]["min"]


if __name__ == "__main__":
    main(sys.argv[1])
