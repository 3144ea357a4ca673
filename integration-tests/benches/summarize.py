#!/usr/bin/env python3
"""Turns criterion's results (target/criterion) from `cargo bench --bench overhead` into the
Markdown tables of docs/benchmarks.md. Standard library only.

    python3 integration-tests/benches/summarize.py [TARGET_DIR]
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target") / "criterion"


def load():
    results = {}
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        key = (meta["group_id"], meta["function_id"] or meta.get("value_str") or "")
        # Criterion's headline figure: the slope of the linear fit when it sampled linearly.
        typical = est.get("slope") or est["mean"]
        results[key] = {
            "mean": typical["point_estimate"],
            "lo": typical["confidence_interval"]["lower_bound"],
            "hi": typical["confidence_interval"]["upper_bound"],
            "median": est["median"]["point_estimate"],
            "value": meta.get("value_str"),
        }
    return results


def ns(x):
    return f"{x:,.0f}"


def paired():
    path = root / "paired.json"
    if not path.exists():
        return
    rows = json.loads(path.read_text())
    print("Paired (trimmed means over rounds; overhead = trimmed mean of per-round differences):")
    print()
    print("| comparison | plain ns/call | with policy ns/call | overhead ns | 95 % CI ns | median ns | overhead |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for p in rows:
        lo, hi = p["diff_ci_ns"]
        print(f"| {p['name']} | {ns(p['plain_ns'])} | {ns(p['policy_ns'])} | {p['diff_ns']:+,.0f} | "
              f"{lo:+,.0f} to {hi:+,.0f} | {p['diff_median_ns']:+,.0f} | {100 * p['ratio']:+.2f} % |")
    print()


def main():
    r = load()
    if not r:
        sys.exit(f"no criterion results under {root}; run `cargo bench --bench overhead` first")
    paired()
    print("Criterion, one arm after the other (mean or slope, ± half the 95 % CI):")
    print()
    print("| service | plain ns/call | with policy ns/call | overhead ns | ratio |")
    print("|---|---:|---:|---:|---:|")
    for service in ["signer", "pinpoint", "account", "backupgateway", "connectcases"]:
        g = f"success/{service}"
        if (g, "plain") not in r:
            continue
        p, w = r[(g, "plain")], r[(g, "policy")]
        d = w["mean"] - p["mean"]
        print(f"| {service} | {ns(p['mean'])} ± {ns((p['hi'] - p['lo']) / 2)} | {ns(w['mean'])} ± "
              f"{ns((w['hi'] - w['lo']) / 2)} | {d:+,.0f} | {w['mean'] / p['mean']:.4f} |")
    print()
    print("| Pinpoint operation | index | ns per classification (mean, 95 % CI) |")
    print("|---|---:|---:|")
    for label, index in [("first", 0), ("middle", 61), ("last", 121)]:
        for (g, f), v in sorted(r.items()):
            if g == "classify/pinpoint" and f == label:
                print(f"| {v['value']} ({label}) | {index} | {v['mean']:.1f} ({v['lo']:.1f} to {v['hi']:.1f}) |")
    print()
    g = "failed_attempt/pinpoint"
    if (g, "plain") in r:
        p, w = r[(g, "plain")], r[(g, "policy")]
        print(f"Failed attempt then success (GetApp): plain {ns(p['mean'])} ns, with policy {ns(w['mean'])} ns, "
              f"difference {w['mean'] - p['mean']:+,.0f} ns per call with one failed attempt.")
        print()
    g = "concurrency/64_tasks"
    if (g, "plain") in r:
        print("| 64 tasks, 2 workers | calls/s (mean) | ns/call |")
        print("|---|---:|---:|")
        for arm in ["plain", "policy"]:
            v = r[(g, arm)]
            print(f"| {arm} | {1e9 / v['mean']:,.0f} | {ns(v['mean'])} |")
        p, w = r[(g, "plain")], r[(g, "policy")]
        print(f"\nThroughput ratio policy/plain: {p['mean'] / w['mean']:.4f}")


main()
