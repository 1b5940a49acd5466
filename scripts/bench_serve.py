#!/usr/bin/env python3
"""The serve stage of scripts/bench.sh: what `kgtop serve` costs on a running cluster.

Usage: bench_serve.py KGTOP BOOTSTRAP WORK_DIR OUT_JSON [--contexts N] [--scrapes N]
                      [--max-series N] [--ready-timeout S] [--groups N] [--partitions N]

Writes a config file with N contexts (default 2) that all point at BOOTSTRAP and passes it to
`kgtop serve --all-contexts` through KGTOP_CONFIG. Starts serve twice, with
`--partition-metrics on` and then `off`, each time on a port the kernel picks (`--listen
127.0.0.1:0`; serve prints the address it bound). For each run it waits (bounded) until /readyz
answers 200, scrapes /metrics a few times and records: each scrape's wall time (request sent to
last byte read) and serve's CPU seconds meanwhile (a poll that runs at the same time counts too),
bytes, samples (lines that are neither empty nor comments), the series serve
dropped over --max-series, and the process's peak RSS (VmHWM) and CPU seconds. Then it stops
serve with SIGTERM (bounded wait, then SIGKILL) and records how it ended.
"""
import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("kgtop")
ap.add_argument("bootstrap")
ap.add_argument("work")
ap.add_argument("out")
ap.add_argument("--contexts", type=int, default=2)
ap.add_argument("--scrapes", type=int, default=5)
ap.add_argument("--max-series", type=int, default=5_000_000)
ap.add_argument("--ready-timeout", type=float, default=300)
ap.add_argument("--groups", type=int)
ap.add_argument("--partitions", type=int)
args = ap.parse_args()


def say(msg):
    print(f"bench: serve: {msg}", file=sys.stderr, flush=True)


os.makedirs(args.work, exist_ok=True)
config = os.path.join(args.work, "serve-config.yaml")
names = [f"sim-{i + 1}" for i in range(args.contexts)]
with open(config, "w") as f:
    f.write(f"current-context: {names[0]}\ncontexts:\n")
    for n in names:
        f.write(f"  {n}:\n    bootstrap: {args.bootstrap}\n")


def proc_stats(pid):
    """Peak and current RSS in MB and CPU seconds of a running process, from /proc."""
    hwm = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return {"peakRSSMB": hwm / 1024, "rssMB": rss / 1024, "cpuSeconds": cpu}


def get(url, timeout):
    """GET over HTTP/1.1 with keep-alive, as Prometheus scrapes (urllib would send
    `Connection: close`). Returns status and body;
    an answer shorter than its content-length raises http.client.IncompleteRead."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path or "/")
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def run(mode):
    err_path = os.path.join(args.work, f"serve-{mode}.err")
    env = dict(os.environ, KGTOP_CONFIG=config)
    env.pop("KGTOP_BOOTSTRAP_SERVERS", None)
    cmd = [args.kgtop, "serve", "--all-contexts", "--listen", "127.0.0.1:0",
           "--partition-metrics", mode, "--max-series", str(args.max_series)]
    result = {"partitionMetrics": mode, "contexts": len(names), "maxSeries": args.max_series}
    t0 = time.monotonic()
    with open(err_path, "w") as err:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        # serve names the address it bound: "kgtop serve: listening on http://HOST:PORT/metrics; ..."
        base = None
        while base is None:
            if p.poll() is not None:
                raise RuntimeError(f"kgtop serve exited {p.returncode}: {open(err_path).read().strip()[-400:]}")
            if time.monotonic() - t0 > 30:
                raise RuntimeError("kgtop serve printed no listening address within 30 s")
            m = re.search(r"listening on (http://\S+)/metrics", open(err_path).read())
            if m:
                base = m.group(1)
            else:
                time.sleep(0.05)
        say(f"partition metrics {mode}: {base}, waiting for /readyz (at most {args.ready_timeout:.0f} s)")
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"kgtop serve exited {p.returncode} before it was ready")
            try:
                status, _ = get(base + "/readyz", 10)
            except (OSError, http.client.HTTPException):
                status = None
            if status == 200:
                break
            if time.monotonic() - t0 > args.ready_timeout:
                raise RuntimeError(f"/readyz not 200 within {args.ready_timeout:.0f} s (last: {status})")
            time.sleep(0.2)
        result["readySeconds"] = time.monotonic() - t0
        scrapes = []
        for _ in range(args.scrapes):
            c0 = proc_stats(p.pid)["cpuSeconds"]
            s0 = time.monotonic()
            status, body = get(base + "/metrics", 120)
            seconds = time.monotonic() - s0
            cpu = proc_stats(p.pid)["cpuSeconds"] - c0
            text = body.decode("utf-8")
            samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
            dropped = next((float(line.split()[-1]) for line in text.splitlines()
                            if line.startswith("kgtop_series_dropped_total")), None)
            scrapes.append({"seconds": seconds, "cpuSeconds": cpu, "bytes": len(body), "samples": samples, "status": status,
                            "droppedTotal": dropped})
        times = [s["seconds"] for s in scrapes]
        result["scrapes"] = scrapes
        result["scrapeSeconds"] = {"median": statistics.median(times), "min": min(times), "max": max(times)}
        result["scrapeCPUSeconds"] = statistics.median(s["cpuSeconds"] for s in scrapes)
        result["bytes"] = statistics.median(s["bytes"] for s in scrapes)
        result["samples"] = statistics.median(s["samples"] for s in scrapes)
        result["droppedTotal"] = scrapes[-1]["droppedTotal"]
        result.update(proc_stats(p.pid))
        # the machine may be shared: wall times mean little without the load they were taken under
        result["loadAverage1m"] = os.getloadavg()[0]
        say(f"partition metrics {mode}: scrape median {result['scrapeSeconds']['median']:.2f} s, "
            f"{result['samples']:,.0f} samples, {result['bytes'] / 1e6:.1f} MB, peak RSS {result['peakRSSMB']:.0f} MB")
    except Exception as e:  # the report shows what failed instead of a figure
        result["error"] = str(e)[:400]
        say(f"partition metrics {mode}: {result['error']}")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
                result["stoppedBy"] = "SIGTERM"
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                result["stoppedBy"] = "SIGKILL after 15 s"
        result["exit"] = p.returncode
    return result


report = {"contexts": len(names), "groups": args.groups, "partitions": args.partitions,
          "runs": {mode: run(mode) for mode in ("on", "off")}}
with open(args.out, "w") as f:
    json.dump(report, f, indent=2)
