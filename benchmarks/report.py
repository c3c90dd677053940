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


def _seconds(row: dict) -> float:
    """A benchmark's own timing of the work where it reports one, else pytest-benchmark's."""
    return row.get("extra_info", {}).get("model_seconds_min") or row["stats"]["min"]


if __name__ == "__main__":
    main(sys.argv[1])
