#!/usr/bin/env python3
"""Instructions per interrupt, counted by callgrind: the reproducible twin of tools/bench.

Wall-clock rates on a shared 2-core machine move by +-40 % from run to run; instruction counts do
not. This runs irqfabric-bench's parts under `valgrind --tool=callgrind`, collecting only inside
the two measured windows (`measure_pingpong`, `measure_interrupts` in bench.cpp), and reports

  - instructions per bare SystemC ping-pong event and per end-to-end interrupt (IOMMU on, tracing
    off), and their quotient `ratio_instructions` (the instruction-count form of
    `ratio_to_systemc_event`);
  - instructions per interrupt at each scale point (8 .. 1,024 CPUs; by default also 1,024 CPUs
    with a single device), split into the SystemC kernel's share and the model's, and the spread
    max/min - 1 of both (issue 9's flatness goal: within 20 %).

Usage: instructions.py BENCH_BINARY [--json] [--quick] [--parts e2e,scale-8,1024x1x1024,...]
Exits 1 when valgrind is missing (install it with tools/deps --profiling).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WINDOWS = ("measure_pingpong", "measure_interrupts")


def inclusive_costs(out_file):
    """Inclusive Ir of each measured window, from callgrind_annotate --inclusive=yes."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file],
                          check=True, capture_output=True, text=True).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*?:?(\S.*)$", line)
        if not m:
            continue
        for w in WINDOWS:
            if re.search(r"\b" + w + r"\(", m.group(2)) and w not in costs:
                costs[w] = int(m.group(1).replace(",", ""))
    return costs


def systemc_share(out_file):
    """Instructions spent in the SystemC kernel itself (self cost of libsystemc's functions) and
    the total collected, both over the measured windows."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", out_file],
                          check=True, capture_output=True, text=True).stdout
    kernel = total = 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(2):
            total = n
        elif "libsystemc" in m.group(2):
            kernel += n
    return kernel, total


def run_part(bench, part, extra):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
        cmd += ["--toggle-collect=*" + w + "*" for w in WINDOWS]
        cmd += [bench, "--only", part, "--json"] + extra
        env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
        res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        costs = inclusive_costs(out)
        costs["systemc_kernel"], costs["total"] = systemc_share(out)
        return json.loads(res.stdout), costs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parts", default="e2e,scale-8,scale-64,scale-256,scale-1024,1024x1x1024",
                    help="comma-separated: e2e, scale-N (a standard point) or CxDxE (C CPUs, D devices, E entries)")
    a = ap.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("instructions.py: valgrind is not installed (tools/deps --profiling installs it)", file=sys.stderr)
        return 1
    load = ["--load-us", "300" if a.quick else "1000"]
    result = {"scale": []}
    for part in a.parts.split(","):
        if part == "e2e":
            j, c = run_part(a.bench, part, load + ["--pingpong-events", "200000"])
            r = j["e2e"]["iommu_on_trace_off"]
            per_event = c["measure_pingpong"] / r["systemc_events"]
            per_irq = c["measure_interrupts"] / r["handled"]
            result["e2e"] = {"instructions_per_systemc_event": per_event,
                             "instructions_per_interrupt": per_irq,
                             "ratio_instructions": per_event / per_irq,
                             "handled": r["handled"], "systemc_events": r["systemc_events"]}
        elif part.startswith("scale-") or re.fullmatch(r"\d+x\d+x\d+", part):
            extra = ["--load-us", "100" if a.quick else "200"]
            if "x" in part:  # CPUSxDEVICESxENTRIES: one custom point (irqfabric-bench --point)
                cpus, devices, entries = part.split("x")
                extra += ["--point", f"{cpus},{devices},{entries}"]
                part = "scale-" + cpus
            j, c = run_part(a.bench, part, extra)
            s = j["scale"][0]
            per_irq = c["measure_interrupts"] / s["handled"]
            kernel = c["systemc_kernel"] / s["handled"]
            result["scale"].append({"cpus": s["cpus"], "devices": s["devices"], "vectors": s["vectors"],
                                    "handled": s["handled"], "instructions_per_interrupt": per_irq,
                                    "systemc_kernel_per_interrupt": kernel,
                                    "model_per_interrupt": per_irq - kernel})
        else:
            print(f"instructions.py: unknown part '{part}'", file=sys.stderr)
            return 2
    per = [s["instructions_per_interrupt"] for s in result["scale"]]
    model = [s["model_per_interrupt"] for s in result["scale"]]
    if per:
        result["scale_spread"] = max(per) / min(per) - 1
        result["scale_spread_model"] = max(model) / min(model) - 1
    if a.json:
        print(json.dumps(result, indent=2))
        return 0
    if "e2e" in result:
        e = result["e2e"]
        print("| measured by callgrind | instructions |\n|---|---|")
        print(f"| one bare SystemC event | {e['instructions_per_systemc_event']:.0f} |")
        print(f"| one end-to-end interrupt (IOMMU on) | {e['instructions_per_interrupt']:.0f} "
              f"(ratio {e['ratio_instructions']:.3f}) |")
    if per:
        print("\n| CPUs | devices | vectors | instructions/interrupt | of which SystemC kernel | model |"
              "\n|---|---|---|---|---|---|")
        for s in result["scale"]:
            print(f"| {s['cpus']} | {s['devices']} | {s['vectors']:.0f} | {s['instructions_per_interrupt']:.0f} "
                  f"| {s['systemc_kernel_per_interrupt']:.0f} | {s['model_per_interrupt']:.0f} |")
        print(f"\nspread across scale points: {100 * result['scale_spread']:.1f} % "
              f"(model alone {100 * result['scale_spread_model']:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
