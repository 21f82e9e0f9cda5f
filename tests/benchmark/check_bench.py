#!/usr/bin/env python3
"""irqfabric-bench --quick --json: every figure README's table reads is present and sane, every
measured run's ledger balances with nothing lost, and a malformed --point exits 2.
(Speed itself is never asserted in tests: tools/bench reports it.)"""
import json
import os
import subprocess
import sys

bench, headline = sys.argv[1], sys.argv[2]
env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
out = subprocess.run([bench, "--quick", "--json", "--headline", headline], check=True, capture_output=True, text=True, env=env).stdout
j = json.loads(out)
fail = []


def need(cond, what):
    if not cond:
        fail.append(what)


need(j["ratio_to_systemc_event"] > 0, "ratio_to_systemc_event > 0")
need(j["ratio_to_systemc_event"] == j["e2e"]["iommu_on_trace_off"]["ratio"], "headline ratio is IOMMU on, trace off")
for k in ("iommu_on_trace_off", "iommu_on_trace_on", "iommu_off_trace_off"):
    r = j["e2e"][k]
    need("error" not in r, f"{k}: no error ({r.get('error')})")
    need(r.get("balanced") is True and r.get("lost") == 0, f"{k}: balanced, nothing lost")
    need(r.get("handled", 0) > 0 and len(r.get("handled_per_s_slices", [])) == 5, f"{k}: handled in 5 slices")
    # Each handled interrupt needs at least the device's and the CPU's evaluation phases.
    need(r.get("delta_cycles_per_interrupt", 0) >= 1.0, f"{k}: >= 1 delta cycle per interrupt")
    need(abs(r["ratio_bound"] * r["delta_cycles_per_interrupt"] - 1) < 1e-9, f"{k}: ratio_bound = 1/deltas")
need(len(j["scale"]) == 2, "two quick scale points")
for s in j["scale"]:
    where = f"scale {s.get('cpus')} CPUs"
    need("error" not in s, f"{where}: no error ({s.get('error')})")
    need(s["vectors"] == s["devices"] * s["ims_entries"], f"{where}: one vector per IMS entry")
    need(s["balanced"] and s["lost"] == 0 and s["handled"] > 0, f"{where}: balanced, handled, nothing lost")
    need(0 < s["bytes_per_vector"] < 64 * 1024, f"{where}: bytes_per_vector plausible ({s['bytes_per_vector']})")
    need(s["first_use_ns_per_interrupt"] > 0 and s["ns_per_interrupt"] > 0, f"{where}: costs per interrupt")
need("headline_error" not in j, f"headline ran ({j.get('headline_error')})")
need(len(j["headline"]) >= 2 and all(h["raised"] > 0 for h in j["headline"]), "headline variants ran")

bad = subprocess.run([bench, "--point", "8,1", "--only", "scale-8"], capture_output=True, text=True, env=env)
need(bad.returncode == 2 and "--point" in bad.stderr, f"malformed --point exits 2 (got {bad.returncode})")

for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
