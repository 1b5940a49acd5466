#!/usr/bin/env python3
"""Merges the per-run JSON files of scripts/bench.sh into one report.

Usage: bench_report.py RUN_DIR RESULTS_DIR ELAPSED_SECONDS
Writes RESULTS_DIR/latest.json and RESULTS_DIR/latest.md and prints the table.
"""
import datetime
import json
import os
import platform
import sys

run_dir, results_dir, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3])


def load(name):
    path = os.path.join(run_dir, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "memoryGB": mem_gb, "os": platform.system() + " " + platform.release().split("-")[0]}


estates = [("standard", "10,000 groups x 10"), ("g1000", "1,000 groups x 10"), ("g1000p100", "1,000 groups x 100"),
           ("scale", "scale estate")]
kg = {k: load(f"kgtop-{k}.json") for k, _ in estates}
for _k in ("standard", "scale"):
    if kg.get(_k):
        _r = kg[_k]
        estates = [(k, f"{_r['groups']:,} groups x {_r['groupPartitions'] // max(1, _r['groups'])}" if k == _k else t) for k, t in estates]
peers = {}
for k in ["standard", "g1000", "g2000"]:
    peers[("adminclient", k)] = load(f"adminclient-{k}.json")
    peers[("kafkatop", k)] = load(f"kafkatop-{k}.json")
sims = {k: load(f"simstats-{k}.json") for k, _ in estates}
serve = load("serve-standard.json")
instructions = load("instructions.json")



def _get(d, *path):
    for p in path:
        if d is None:
            return None
        d = d.get(p) if isinstance(d, dict) else None
    return d


def targets_for(r):
    """Issue #17's targets for one estate's figures: (name, value, unit, limit, met); value None when not measured."""
    if not r:
        return []
    gp = max(1, r.get("groupPartitions") or 1)
    brokers_n = r.get("brokers") or 3
    steady = r.get("steady") or {}
    steady_share = (steady.get("cpuSeconds") or 0) / max(1e-9, steady.get("seconds") or 0) if steady.get("seconds") else None
    snap = r.get("snapshotCommand") or {}
    snap_ms = _get(snap, "runs", "median")
    mbps = _get(r, "snapshotJSON", "megabytesPerSecond")
    # The simulator answers on the same cores, the same code from run to run: kgtop's CPU per poll
    # against its own says whether a change between runs is kgtop's or the machine's speed.
    poll_cpu, sim_cpu = _get(r, "pollCPUSeconds", "median"), _get(r, "simulatorPollCPUSeconds", "median")
    yardstick = poll_cpu / sim_cpu if poll_cpu and sim_cpu else None
    rows = [
        ("CPU per poll, median", _get(r, "pollCPUSeconds", "median"), "s", 0.15, "<="),
        ("CPU per group-partition per poll", 1e6 * (_get(r, "pollCPUSeconds", "median") or 0) / gp, "us", 1.5, "<="),
        ("CPU per poll relative to the simulator's per poll answered (machine yardstick)", yardstick, "x", None, None),
        ("CPU of the steady watch loop (2 s interval)", None if steady_share is None else 100 * steady_share, "% of a core", 15, "<="),
        ("peak RSS, watch pipeline", r.get("peakRSSMB"), "MB", 200, "<="),
        ("`kgtop snapshot` end to end, median", snap_ms, "ms", 1200, "<="),
        ("snapshot JSON written per second (in process)", mbps, "MB/s", 200, ">="),
        ("`kgtop snapshot` peak RSS", snap.get("peakRSSMB"), "MB", 150, "<="),
        ("simulator CPU per poll answered, median", _get(r, "simulatorPollCPUSeconds", "median"), "s", 0.2, "<="),
        ("simulator background loop", None if r.get("simulatorBackgroundCoreShare") is None else 100 * r["simulatorBackgroundCoreShare"], "% of a core", 10, "<="),
        ("requests per poll (max)", r.get("maxRequestsPerPoll"), "", 6 * brokers_n + 2, "<="),
        ("requests per watch cycle, record-time Fetch included (max)", steady.get("maxRequestsPerCycle"), "", 6 * brokers_n + 2, "<="),
        ("TUI frame 200x60, median", _get(r, "tui", "frame", "median"), "ms", 10, "<="),
    ]
    return _judge(rows)


def _judge(rows):
    out = []
    for name, value, unit, limit, op in rows:
        if limit is None:
            out.append({"figure": name, "value": value, "unit": unit, "target": "", "met": None})
            continue
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        out.append({"figure": name, "value": value, "unit": unit, "target": f"{op} {limit:g}", "met": met})
    return out


def scale_targets_for(r, std):
    """Issue #17's scale targets (item 5) for the scale estate, read against the standard estate."""
    if not r:
        return []
    brokers_n = r.get("brokers") or 3
    per_gp = 1e6 * (_get(r, "pollCPUSeconds", "median") or 0) / max(1, r.get("groupPartitions") or 1)
    std_per_gp = 1e6 * (_get(std, "pollCPUSeconds", "median") or 0) / max(1, (std or {}).get("groupPartitions") or 1) if std else None
    ratio = per_gp / std_per_gp if std_per_gp else None
    rows = [
        ("CPU per group-partition per poll", per_gp, "us", None, None),
        ("... relative to the standard estate's", ratio, "x", 1.5, "<="),
        ("peak RSS, watch pipeline", r.get("peakRSSMB"), "MB", 800, "<="),
        ("TUI frame 200x60, median", _get(r, "tui", "frame", "median"), "ms", 10, "<="),
        ("requests per poll (max)", r.get("maxRequestsPerPoll"), "", 6 * brokers_n + 2, "<="),
    ]
    return _judge(rows)


report = {
    "generatedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "machine": machine(),
    "benchSeconds": elapsed,
    "kgtop": kg,
    "peers": {f"{p}-{k}": v for (p, k), v in peers.items() if v is not None},
    "simulator": {k: v for k, v in sims.items() if v is not None},
    "serve": serve,
    # Instructions of one steady derivation at the standard estate (callgrind), when counted.
    "instructions": instructions,
    # Issue #17's targets are stated for the standard estate (BENCH_GROUPS, 10,000 by default).
    "targets": targets_for(kg.get("standard")),
    # Item 5: the scale estate (BENCH_SCALE_GROUPS, 50,000 by default) against the standard estate.
    "scaleTargets": scale_targets_for(kg.get("scale"), kg.get("standard")),
}
os.makedirs(results_dir, exist_ok=True)
with open(os.path.join(results_dir, "latest.json"), "w") as f:
    json.dump(report, f, indent=2, sort_keys=True)


def f1(x):
    return "-" if x is None else f"{x:,.1f}"


def f0(x):
    return "-" if x is None else f"{x:,.0f}"


def kb(x):
    return "-" if x is None else (f"{x / 1024:,.0f} KiB" if x < 1024 * 1024 else f"{x / 1024 / 1024:,.1f} MiB")


def get(d, *path):
    for p in path:
        if d is None:
            return None
        d = d.get(p) if isinstance(d, dict) else None
    return d


cols = [k for k, _ in estates if kg.get(k)]
titles = dict(estates)
if serve and serve.get("groups") and not kg.get("standard"):
    # BENCH_ONLY=serve: the standard estate is whatever BENCH_GROUPS made it
    titles["standard"] = f"{serve['groups']:,} groups x {serve['partitions']}"
brokers = get(kg.get("standard"), "brokers") or 3
lines = []
out = lines.append
m = report["machine"]
out(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memoryGB']} GB RAM, {m['os']}; the simulator runs on the same cores.")
out(f"Generated {report['generatedAt']} by `make bench` in {elapsed} s.")


def row(name, fn, target=""):
    out(f"| {name} | " + " | ".join(fn(kg[c]) for c in cols) + f" | {target} |")


def kgtop_table():
    out("")
    out("| kgtop (release build) | " + " | ".join(titles[c] for c in cols) + " | target |")
    out("|---|" + "---|" * len(cols) + "---|")
    row("group-partitions / members", lambda r: f"{r['groupPartitions']:,} / {r['members']:,}")
    row("full poll, median / p95 (ms)", lambda r: f"{f0(r['poll']['median'])} / {f0(r['poll']['p95'])}", "median <= 1,000 (10k)")
    row("first (cold) poll (ms)", lambda r: f0(r["coldPollMs"]))
    row("per group-partition, median poll (us)", lambda r: f1(1000 * r["poll"]["median"] / max(1, r["groupPartitions"])), "no worse than linear")
    row("requests per poll (max)", lambda r: str(r["maxRequestsPerPoll"]), f"<= {6 * brokers + 2} (6 x brokers + 2)")
    row("requests per watch cycle with the record-time Fetch (max)", lambda r: str(get(r, "steady", "maxRequestsPerCycle") or "-"),
        f"<= {6 * brokers + 2}")
    row("bytes per poll, out / in", lambda r: f"{kb(sum(a['bytesSent'] for a in r['perAPI'].values()))} / {kb(sum(a['bytesReceived'] for a in r['perAPI'].values()))}")
    row("CPU per poll, median (s)", lambda r: f"{r['pollCPUSeconds']['median']:.3f}", "<= 0.15 (10k)")
    row("CPU per group-partition per poll (us)", lambda r: f"{1e6 * r['pollCPUSeconds']['median'] / max(1, r['groupPartitions']):.2f}",
        "<= 1.5 (10k); 50k within 1.5x of 10k")
    row("CPU at 2 s interval (s per 60 s, % of a core)",
        lambda r: f"{60 * r['steady']['cpuSeconds'] / max(1e-9, r['steady']['seconds']):.1f} s, {100 * r['steady']['cpuSeconds'] / max(1e-9, r['steady']['seconds']):.0f}%",
        "<= 15% (10k)")
    row("monitor diff/health/time lag per poll (ms)", lambda r: f0(r["steady"]["derive"]["median"]))
    row("dashboard feed per poll (ms)", lambda r: f0(r["steady"]["feed"]["median"]))
    row("peak RSS, watch pipeline (MB)", lambda r: f0(r["peakRSSMB"]), "<= 200 (10k); <= 800 (50k)")
    row("`kgtop snapshot` end to end, median (ms)", lambda r: f0(get(r, "snapshotCommand", "runs", "median")), "<= 1,200 (10k)")
    row("`kgtop snapshot` CPU per run (s)", lambda r: "-" if get(r, "snapshotCommand", "cpuSecondsPerRun") is None else f"{r['snapshotCommand']['cpuSecondsPerRun']:.2f}")
    row("snapshot JSON written in process (MB, ms, MB/s)",
        lambda r: "-" if not get(r, "snapshotJSON", "bytes") else
        f"{r['snapshotJSON']['bytes'] / 1e6:.1f}, {r['snapshotJSON']['ms']['median']:,.0f}, {r['snapshotJSON']['megabytesPerSecond']:.0f}",
        ">= 200 MB/s")
    row("`kgtop snapshot` peak RSS (MB)", lambda r: f0(get(r, "snapshotCommand", "peakRSSMB")), "<= 150")
    row("simulator CPU per poll answered, median (s)",
        lambda r: "-" if get(r, "simulatorPollCPUSeconds", "median") is None else f"{r['simulatorPollCPUSeconds']['median']:.3f}", "<= 0.2 (10k)")
    row("simulator background loop (% of a core)",
        lambda r: "-" if r.get("simulatorBackgroundCoreShare") is None else f"{100 * r['simulatorBackgroundCoreShare']:.0f}%", "<= 10% (10k)")
    row("TUI frame 200x60 sorted by lag, median / p95 (ms)", lambda r: f"{r['tui']['frame']['median']:.2f} / {r['tui']['frame']['p95']:.2f}", "<= 10")
    row("TUI new data: receive + first frame (ms)", lambda r: f1(r["tui"]["newData"]["median"]))
    row("TUI filter change + frame (ms)", lambda r: f1(r["tui"]["filterChange"]["median"]))
    row("TUI sort change + frame (ms)", lambda r: f1(r["tui"]["sortChange"]["median"]))


if cols:
    kgtop_table()

std = kg.get("standard")
if std:
    out("")
    out(f"Requests and bytes per poll by API ({titles['standard']}, mean of {std['poll']['count']} polls; EARLIEST offsets every 12th poll):")
    out("")
    out("| API | requests | bytes out | bytes in |")
    out("|---|---|---|---|")
    for api in sorted(std["perAPI"]):
        a = std["perAPI"][api]
        out(f"| {api} | {a['requests']:.1f} | {kb(a['bytesSent'])} | {kb(a['bytesReceived'])} |")

if any(v is not None for v in peers.values()):
    out("")
    out("Peers on the same running clusters (one full snapshot: groups, descriptions, committed offsets, log ends):")
    out("")
    out("| peer | estate | time (s) | kgtop poll median (s) | ratio | kgtop snapshot process (s) | ratio | peer CPU (s) | kgtop CPU per poll (s) | CPU ratio | note |")
    out("|---|---|---|---|---|---|---|---|---|---|---|")
    peer_titles = {"standard": titles["standard"], "g1000": titles["g1000"], "g2000": "2,000 groups x 10"}
    for p, name in [("adminclient", "confluent-kafka AdminClient"), ("kafkatop", "kafkatop --summary-json")]:
        for k in ["standard", "g1000", "g2000"]:
            r = peers.get((p, k))
            if r is None:
                continue
            base = kg.get(k)
            poll_s = base["poll"]["median"] / 1000 if base else None
            cpu_poll = get(base, "pollCPUSeconds", "median")
            peer_cpu = r.get("cpuSeconds") if r.get("completed") else None
            cpu_cells = (f"{peer_cpu:.2f}" if peer_cpu is not None else "-", f"{cpu_poll:.3f}" if cpu_poll else "-",
                         f"{peer_cpu / cpu_poll:.0f}x" if (peer_cpu is not None and cpu_poll) else "-")
            snap_s = (get(base, "snapshotCommand", "runs", "median") or 0) / 1000 if base else None
            if r.get("completed"):
                t = r["seconds"]
                ts, ra, rb = f"{t:.2f}", (f"{t / poll_s:.0f}x" if poll_s else "-"), (f"{t / snap_s:.0f}x" if snap_s else "-")
                note = f"{r.get('groups', '?')} groups" + (f", {r['partitions']:,} partitions" if r.get("partitions") else "")
                if r.get("steps"):
                    note += "; " + ", ".join(f"{s} {v:.1f} s" for s, v in r["steps"].items())
            elif r.get("timed_out"):
                t = r.get("seconds")
                ts = f"> {t:.0f}" if t else "timed out"
                ra = f"> {t / poll_s:.0f}x" if (t and poll_s) else "-"
                rb = f"> {t / snap_s:.0f}x" if (t and snap_s) else "-"
                note = "deadline passed" + ("; done: " + ", ".join(f"{s} {v:.1f} s" for s, v in r["steps"].items()) if r.get("steps") else "")
            else:
                ts, ra, rb = "-", "-", "-"
                note = r.get("note", "did not run")
            if r.get("version"):
                note = f"{r['version']}; " + note
            out(f"| {name} | {peer_titles[k]} | {ts} | {f1(poll_s) if poll_s else '-'} | {ra} | {f1(snap_s) if snap_s else '-'} | {rb} | "
                + " | ".join(cpu_cells) + f" | {note} |")


def serve_table(doc):
    """The serve stage: one column per --partition-metrics run, a target beside each figure."""
    runs = [(mode, doc["runs"][mode]) for mode in ("on", "off") if mode in doc.get("runs", {})]
    groups = f"{doc['groups']:,} groups x {doc['partitions']}" if doc.get("groups") else "the standard estate"
    out("")
    out(f"`kgtop serve --all-contexts` with {doc['contexts']} contexts on the same cluster ({groups}, so each scrape "
        f"carries every group twice); scrapes of /metrics (Prometheus text) after /readyz is 200:")
    out("")
    out("| kgtop serve | " + " | ".join(f"partition metrics {m}" for m, _ in runs) + " | target |")
    out("|---|" + "---|" * len(runs) + "---|")

    first = [True]

    def srow(name, fn, target="", always=False):
        # a failed run names its error in the first row and shows "-" below it
        cells = [(fn(r) if always or "error" not in r else ("failed: " + r["error"][:120] if first[0] else "-")) for _, r in runs]
        first[0] = False
        out(f"| {name} | " + " | ".join(cells) + f" | {target} |")

    srow("scrape, median (min-max) (s)",
         lambda r: f"{r['scrapeSeconds']['median']:.2f} ({r['scrapeSeconds']['min']:.2f}-{r['scrapeSeconds']['max']:.2f})",
         "<= 2 s with partition metrics on (10k)")
    srow("serve CPU during a scrape, median (s)", lambda r: f"{r['scrapeCPUSeconds']:.2f}" if "scrapeCPUSeconds" in r else "-")
    srow("samples per scrape", lambda r: f"{r['samples']:,.0f}")
    srow("bytes per scrape", lambda r: kb(r["bytes"]))
    srow("series dropped (--max-series)", lambda r: f"{r['droppedTotal'] or 0:,.0f} (cap {r['maxSeries']:,})", "0")
    srow("start to /readyz 200 (s)", lambda r: f"{r['readySeconds']:.1f}")
    srow(f"peak RSS (VmHWM), {doc['contexts']} contexts (MB)", lambda r: f0(r["peakRSSMB"]), "<= 400 (2 contexts, 10k)")
    srow("serve CPU, start to last scrape (s)", lambda r: f"{r['cpuSeconds']:.1f}")
    srow("load average (1 min) after the scrapes", lambda r: f"{r['loadAverage1m']:.1f}" if "loadAverage1m" in r else "-")
    srow("stop", lambda r: f"{r.get('stoppedBy', '-')}, exit {r.get('exit')}", "SIGTERM, exit 0", always=True)


if serve:
    serve_table(serve)

if instructions and "derivationInstructions" not in instructions:
    out("")
    out(f"Instructions per derivation: not counted ({instructions.get('note', 'no figure')}).")
elif instructions:
    out("")
    out(f"Instructions per derivation (diff, episodes, history, health, time lag of one poll; callgrind on "
        f"`KgtopBench --derive-only` at {instructions['groups']:,} groups x {instructions['partitions']}): "
        f"{instructions['derivationInstructions'] / 1e6:,.0f} million.")

simnote = [f"{titles[k]}: {v['cpuSeconds']:.0f} CPU s, {v['peakRSSMB']:.0f} MB" for k, v in sims.items() if v]
if simnote:
    out("")
    out("Simulator process (same machine): " + "; ".join(simnote) + ".")

def targets_table(title, targets):
    out("")
    out(title)
    out("")
    out("| figure | measured | target | met |")
    out("|---|---|---|---|")
    for t in targets:
        v = t["value"]
        shown = "-" if v is None else (f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}") + (f" {t['unit']}" if t["unit"] else "")
        target = f"{t['target']} {t['unit']}" if t["target"] else "-"
        out(f"| {t['figure']} | {shown} | {target} | {'-' if t['met'] is None else ('yes' if t['met'] else '**no**')} |")


if report["targets"]:
    targets_table(f"Targets (issue #17) at {titles['standard']}:", report["targets"])
if report["scaleTargets"]:
    targets_table(f"Scale targets (issue #17 item 5) at {titles['scale']}:", report["scaleTargets"])

text = "\n".join(lines) + "\n"
with open(os.path.join(results_dir, "latest.md"), "w") as f:
    f.write(text)
print(text)
