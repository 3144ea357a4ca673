#!/usr/bin/env python3
"""Marginal instruction and allocation counts of one paired benchmark, under callgrind.

Runs the `overhead` bench binary under valgrind's callgrind once per arm (`plain`, `policy`) and
per round count (25 and 75 rounds: `PAIRED_ROUNDS`), and prints, per call and per arm, the
difference between the two round counts divided by the calls between them. That takes out
one-time work (lazy statics, metric keys built once). docs/benchmarks.md quotes its output.

    python3 integration-tests/benches/marginal.py target/release/deps/overhead-<hash> failed_attempt
    python3 integration-tests/benches/marginal.py <binary> success/signer
    python3 integration-tests/benches/marginal.py <binary> noop_interceptor

For each arm it reports:
- instructions outside the allocator: the program's total minus the inclusive cost of every call
  into Rust's allocator shims (`__rust_alloc`, `__rust_dealloc`, `__rust_realloc`,
  `__rust_alloc_zeroed`). glibc's cost per allocation depends on the heap's state and does not
  reproduce from run to run; the count outside it reproduces within about 200 instructions per
  call (the SDK's hash tables are seeded at random);
- allocations: callgrind's call count of `__rust_alloc` (and `__rust_alloc_zeroed`);
- reallocations: its call count of `__rust_realloc` (a growing `Vec` or table: a new block, unless
  the allocator can extend the old one in place).

Callgrind counts instructions, not time: the counts are the same whatever else the machine does.
The prefix must select exactly one pair (the bench prints one `paired` line per pair it ran).
"""

import os
import re
import subprocess
import sys
import tempfile

ALLOCATOR = ("__rust_alloc", "__rust_dealloc", "__rust_realloc", "__rust_alloc_zeroed")
ALLOCATIONS = ("__rust_alloc", "__rust_alloc_zeroed")
# A growing `Vec` or hash table may reallocate instead: a new block unless the old one can be
# extended in place. Counted apart.
REALLOCATIONS = ("__rust_realloc",)


def short(name: str) -> str:
    """`__rustc::__rust_alloc` and `__rust_alloc` alike."""
    return name.rsplit("::", 1)[-1]


def parse(path: str) -> tuple[int, int, int, int]:
    """(total instructions, instructions inside the allocator shims, allocations,
    reallocations) of one run."""
    names: dict[str, str] = {}
    total = inside = allocations = reallocations = 0
    callee = None
    pending_call = False
    # Where Ir is on a cost line: after the position columns (`positions:`), at its place among
    # the events (`events:`).
    positions, events = ["line"], ["Ir"]
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("positions:"):
                positions = line.split()[1:]
                continue
            if line.startswith("events:"):
                events = line.split()[1:]
                continue
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1 + events.index("Ir")])
                continue
            # `fn=(id) name` the first time, `fn=(id)` after; `fn=name` without compression.
            m = re.match(r"^(c?fn)=(?:\((\d+)\))? ?(.*)$", line)
            if m:
                kind, ident, name = m.groups()
                if ident is not None and name:
                    names[ident] = name
                resolved = names.get(ident, "") if ident is not None and not name else name
                if kind == "cfn":
                    callee = short(resolved)
                continue
            if line.startswith("calls="):
                count = int(line.split("=", 1)[1].split()[0])
                if callee in ALLOCATIONS:
                    allocations += count
                if callee in REALLOCATIONS:
                    reallocations += count
                pending_call = True
                continue
            if pending_call:
                # The line after `calls=` is the call's inclusive cost: position, then Ir.
                pending_call = False
                if callee in ALLOCATOR:
                    fields = line.split()
                    column = len(positions) + events.index("Ir")
                    if len(fields) > column:
                        inside += int(fields[column])
    return total, inside, allocations, reallocations


def run(binary: str, only: str, arm: str, rounds: int) -> tuple[int, int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = dict(os.environ, PAIRED_ONLY=only, PAIRED_ONE_ARM=arm, PAIRED_ROUNDS=str(rounds))
        env.pop("VALGRIND_OPTS", None)
        command = [
            "valgrind",
            "--tool=callgrind",
            "--dump-instr=no",
            "--dump-line=yes",
            f"--callgrind-out-file={out}",
            binary,
            "paired",
            "--bench",
        ]
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        pairs = [line for line in done.stdout.splitlines() if line.startswith("paired ")]
        if len(pairs) != 1:
            sys.exit(f"the prefix {only!r} ran {len(pairs)} pairs, not one: {pairs}")
        return parse(out)


def calls_in(rounds: int, calls_per_round: int) -> int:
    """Calls one arm makes at `rounds`: the bench's warm-up (up to 50 rounds), then the rounds."""
    return (min(rounds, 50) + rounds) * calls_per_round


def main() -> None:
    binary, only = sys.argv[1], sys.argv[2]
    # `failed_attempt` runs half the success arms' 20 calls per round (each call is two attempts).
    per_round = 10 if only.startswith(("failed_attempt", "steering_floor", "generic_failed")) else 20
    low, high = 25, 75
    calls = calls_in(high, per_round) - calls_in(low, per_round)
    rows = {}
    for arm in ("plain", "policy"):
        a, b = run(binary, only, arm, low), run(binary, only, arm, high)
        rows[arm] = [(y - x) / calls for x, y in zip(a, b)]
    print(f"{only}: marginal per call over {calls} calls (rounds {low} and {high})")
    print("| arm | instructions | outside the allocator | allocations | reallocations |")
    print("|---|---:|---:|---:|---:|")
    for arm, (total, inside, allocs, reallocs) in rows.items():
        print(f"| {arm} | {total:,.0f} | {total - inside:,.0f} | {allocs:.2f} | {reallocs:.2f} |")
    (pt, pi, pa, pr), (wt, wi, wa, wr) = rows["plain"], rows["policy"]
    print(
        f"| policy − plain | {wt - pt:+,.0f} | {(wt - wi) - (pt - pi):+,.0f} | {wa - pa:+.2f} | {wr - pr:+.2f} |"
    )


if __name__ == "__main__":
    main()
