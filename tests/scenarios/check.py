#!/usr/bin/env python3
"""CLI-level checks run by CTest (see CMakeLists.txt). Each mode exits non-zero on failure."""
import json, os, re, subprocess, sys, glob


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def strip(report):
    report = dict(report)
    report.pop("wall_time_s", None)
    return report


def deterministic(exe, scen, out):
    a = run([exe, "run", scen, "--quiet", "--out", out + "/a"])
    b = run([exe, "run", scen, "--quiet", "--out", out + "/b"])
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    ra = json.load(open(out + "/a/report.json"))
    rb = json.load(open(out + "/b/report.json"))
    assert strip(ra) == strip(rb), "reports differ between two runs with the same seed"
    c = run([exe, "run", scen, "--quiet", "--seed", "7", "--out", out + "/c"])
    assert c.returncode == 0, c.stderr
    assert json.load(open(out + "/c/report.json"))["seed"] == 7


def quantum(exe, scen, out):
    # The headline's ledgers at the default quantum (sim.quantum_ns) and at a non-zero quantum that
    # lets OS tasks run ahead inside lookahead sections must equal those of quantum 0, and the
    # non-zero run must really have skipped waits (fewer SystemC delta cycles): decoupling is only
    # allowed where it cannot change results (DESIGN §6).
    runs = {}
    for q, extra in (("0", ["--set", "sim.quantum_ns=0"]), ("default", []),
                     ("1000", ["--set", "sim.quantum_ns=1000"])):
        r = run([exe, "run", scen, "--quiet", "--out", out + "/q" + q] + extra)
        assert r.returncode == 0, r.stdout + r.stderr
        runs[q] = json.load(open(out + "/q" + q + "/report.json"))
    for other in ("default", "1000"):
        for va, vb in zip(runs["0"]["variants"], runs[other]["variants"]):
            la, lb = dict(va["ledger"]), dict(vb["ledger"])
            assert la == lb, "variant %s: ledger differs at quantum %s: %s vs %s" % (va["name"], other, la, lb)
            assert va.get("deliveries") == vb.get("deliveries"), "variant %s: deliveries differ at quantum %s" % (va["name"], other)
    d0 = sum(v["sim"]["delta_cycles"] for v in runs["0"]["variants"])
    d1 = sum(v["sim"]["delta_cycles"] for v in runs["1000"]["variants"])
    assert d1 < d0, "quantum 1000 skipped no wait (%d delta cycles, %d at quantum 0)" % (d1, d0)


def badinput(exe, folder):
    cases = sorted(glob.glob(folder + "/*.yaml"))
    assert cases, "no bad-input cases"
    for f in cases:
        want = open(f).readline().strip().lstrip("#").strip()  # first line: expected message regex
        r = run([exe, "validate", f])
        assert r.returncode == 2, "%s: exit %d, expected 2\n%s%s" % (f, r.returncode, r.stdout, r.stderr)
        assert re.search(r"%s:\d+:\d+: " % re.escape(f), r.stderr), "%s: no file:line:column in %r" % (f, r.stderr)
        assert re.search(want, r.stderr), "%s: %r does not match %r" % (f, r.stderr, want)
        r = run([exe, "run", f, "--quiet", "--out", "/tmp/irqf-bad"])
        assert r.returncode == 2, "%s: run exit %d" % (f, r.returncode)
    r = run([exe, "run", "/nonexistent.yaml"])
    assert r.returncode == 2 and "cannot open" in r.stderr
    r = run([exe, "run"])
    assert r.returncode == 2


def failexpect(exe, scen, out):
    r = run([exe, "run", scen, "--quiet", "--out", out, "--set", "expect.0.is=12345"])
    assert r.returncode == 1, "exit %d: %s" % (r.returncode, r.stderr)
    assert "off by" in r.stderr, r.stderr


def golden(exe, scenarios, goldens, out):
    """Every shipped scenario's ledgers equal the recorded ones (optimisations must not change
    results; after an intended behaviour change, regenerate with tools/update-golden)."""
    for g in sorted(glob.glob(goldens + "/*.json")):
        name = os.path.basename(g)[:-5]
        r = run([exe, "run", os.path.join(scenarios, name + ".yaml"), "--quiet", "--out", out + "/" + name])
        assert r.returncode == 0, name + ": " + r.stderr
        rep = json.load(open(out + "/" + name + "/report.json"))
        want = json.load(open(g))
        for v in rep["variants"]:
            got = {k: v["ledger"][k] for k in want[v["name"]]}
            assert got == want[v["name"]], "%s/%s: ledger %s, recorded %s" % (name, v["name"], got, want[v["name"]])
    assert glob.glob(goldens + "/*.json"), "no golden ledgers"


def sweep(exe, scen, out):
    r = run([exe, "sweep", scen, "--param", "sim.duration_us=300,400", "--param", "seed=1,2", "-j", "2",
             "--out", out])
    assert r.returncode == 0, r.stdout + r.stderr
    rows = open(out + "/sweep.csv").read().strip().split("\n")
    assert rows[0].startswith("sim.duration_us,seed,variant,raised"), rows[0]
    assert len(rows) == 5, rows
    r = run([exe, "sweep", scen, "--param", "sim.duration_us=300,400", "--emit", "parallel", "--out", out + "/p"])
    assert r.returncode == 0 and len(open(out + "/p/jobs.txt").read().strip().split("\n")) == 2
    r = run([exe, "sweep", scen, "--param", "sim.duration_us=300", "--emit", "slurm", "--out", out + "/s"])
    assert r.returncode == 0 and "#SBATCH --array=0-0" in open(out + "/s/sweep.sbatch").read()
    r = run([exe, "sweep", scen, "--param", "platform.cpus.cpuss=1,2", "--out", out + "/bad"])
    assert r.returncode == 2, "a misspelt sweep key must be rejected before running"


def describe(exe):
    r = run([exe, "describe"])
    assert r.returncode == 0, r.stderr
    for k in ("cpus", "iommu", "ioapic", "pcie", "os", "idxd", "testdev", "workload", "timeline.driver.probe"):
        assert re.search(r"^%s — " % re.escape(k), r.stdout, re.M), "describe lacks " + k
    assert run([exe, "describe", "nonsense"]).returncode == 2


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    globals()[mode](*args)
    print(mode, "ok")
