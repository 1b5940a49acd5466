#!/usr/bin/env python3
"""One full consumer-group snapshot through confluent-kafka's AdminClient, timed.

This is the peer kgtop is compared with in `make bench`: the same information kgtop's poll gathers
(every group, its description, its committed offsets, and the log end of every partition), taken
with the AdminClient calls as the library documents them:

  list_consumer_groups -> describe_consumer_groups (all ids) -> list_consumer_group_offsets
  (one request object per group: the API accepts a single group per call) -> list_offsets
  (OffsetSpec.latest for every partition of the topics the groups committed to).

Usage: bench_adminclient.py BOOTSTRAP [--out FILE] [--timeout SECONDS]
Writes a JSON object: total seconds, per-step seconds, counts. Exits 3 when the deadline passed
(the JSON then says how far it got).
"""
import argparse
import json
import resource
import sys
import time

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("--out")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()

    deadline = time.monotonic() + args.timeout
    result = {"peer": "confluent-kafka AdminClient", "steps": {}, "completed": False}
    try:
        import confluent_kafka

        # version() and libversion() answer (text, number) pairs.
        v, lv = confluent_kafka.version(), confluent_kafka.libversion()
        result["version"] = "confluent-kafka " + (v[0] if isinstance(v, tuple) else str(v))
        result["librdkafka"] = lv[0] if isinstance(lv, tuple) else str(lv)
    except Exception:  # noqa: BLE001 - informational only
        pass

    def left():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        return remaining

    def write():
        text = json.dumps(result, indent=2, sort_keys=True)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        else:
            print(text)

    def cpu():
        # The whole process: Python and librdkafka's threads.
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    start = time.monotonic()
    cpu_start = cpu()
    admin = AdminClient({"bootstrap.servers": args.bootstrap, "client.id": "bench-adminclient"})
    try:
        t = time.monotonic()
        listed = admin.list_consumer_groups(request_timeout=60).result(timeout=left())
        ids = sorted(g.group_id for g in listed.valid)
        result["groups"] = len(ids)
        result["steps"]["list_consumer_groups"] = time.monotonic() - t

        t = time.monotonic()
        futures = admin.describe_consumer_groups(ids, request_timeout=120) if ids else {}
        described = {gid: f.result(timeout=left()) for gid, f in futures.items()}
        result["members"] = sum(len(d.members) for d in described.values())
        result["steps"]["describe_consumer_groups"] = time.monotonic() - t

        t = time.monotonic()
        committed = {}
        futures = {}
        for gid in ids:
            # One group per request object and per call, as the API requires.
            futures.update(admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(gid)], request_timeout=120))
        for gid, f in futures.items():
            committed[gid] = f.result(timeout=left())
        result["group_partitions"] = sum(len(c.topic_partitions or []) for c in committed.values())
        result["steps"]["list_consumer_group_offsets"] = time.monotonic() - t

        t = time.monotonic()
        topics = sorted({tp.topic for c in committed.values() for tp in (c.topic_partitions or [])})
        md = admin.list_topics(timeout=left())
        request = {}
        for name in topics:
            tm = md.topics.get(name)
            if tm is None:
                continue
            for p in tm.partitions:
                request[TopicPartition(name, p)] = OffsetSpec.latest()
        ends = {}
        if request:
            for tp, f in admin.list_offsets(request, request_timeout=120).items():
                ends[(tp.topic, tp.partition)] = f.result(timeout=left()).offset
        result["partitions"] = len(ends)
        result["steps"]["list_offsets"] = time.monotonic() - t

        # Lag, as a tool would show it (not timed separately: it is cheap).
        lag = 0
        for c in committed.values():
            for tp in c.topic_partitions or []:
                end = ends.get((tp.topic, tp.partition))
                if end is not None and tp.offset >= 0:
                    lag += max(0, end - tp.offset)
        result["total_lag"] = lag
        result["completed"] = True
    except TimeoutError:
        result["timed_out"] = True
    result["seconds"] = time.monotonic() - start
    result["cpuSeconds"] = cpu() - cpu_start
    write()
    return 0 if result["completed"] else 3


if __name__ == "__main__":
    sys.exit(main())
