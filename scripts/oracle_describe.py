#!/usr/bin/env python3
"""An independent reading of a cluster's consumer groups, for kgtop's differential tests.

librdkafka's AdminClient (through confluent-kafka) describes the named groups, lists their
committed offsets and the end offsets of the named partitions, and prints one JSON object:

    {"library": "2.16.0",
     "groups": {"<id>": {"state": "STABLE", "type": "CONSUMER", "assignor": "uniform",
                         "members": [{"memberID": ..., "clientID": ..., "host": ...,
                                      "instanceID": ... | null,
                                      "assignment": ["topic:0", ...],
                                      "target": ["topic:0", ...] | null}],
                         "error": null | "<text>"}},
     "committed": {"<id>": {"topic:0": 12, ...}},
     "ends": {"topic:0": 100, ...}}

Usage: oracle_describe.py BOOTSTRAP GROUP[,GROUP...] TOPIC:PARTITIONS[,TOPIC:PARTITIONS...]
Exit 0 with the JSON on stdout; 2 with a message on stderr when the cluster cannot be read.
"""
import json
import sys

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition, libversion
from confluent_kafka.admin import AdminClient, OffsetSpec

TIMEOUT = 20.0


def names(partitions):
    return sorted(f"{tp.topic}:{tp.partition}" for tp in partitions)


def enum_name(value):
    return getattr(value, "name", str(value))


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    bootstrap, groups_arg, topics_arg = sys.argv[1:]
    group_ids = [g for g in groups_arg.split(",") if g]
    partitions = []
    for spec in topics_arg.split(","):
        topic, count = spec.rsplit(":", 1)
        partitions += [TopicPartition(topic, p) for p in range(int(count))]

    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000})
    out = {"library": libversion()[0], "groups": {}, "committed": {}, "ends": {}}

    for gid, future in admin.describe_consumer_groups(group_ids, request_timeout=TIMEOUT).items():
        try:
            d = future.result(timeout=TIMEOUT)
        except Exception as e:  # a group the library cannot describe is a finding, not a crash
            out["groups"][gid] = {"error": str(e)}
            continue
        members = []
        for m in d.members:
            target = getattr(m, "target_assignment", None)
            members.append({
                "memberID": m.member_id,
                "clientID": m.client_id,
                "host": m.host,
                "instanceID": m.group_instance_id,
                "assignment": names(m.assignment.topic_partitions) if m.assignment else [],
                "target": names(target.topic_partitions) if target is not None else None,
            })
        out["groups"][gid] = {
            "state": enum_name(d.state),
            "type": enum_name(getattr(d, "type", "UNKNOWN")),
            "assignor": d.partition_assignor,
            "members": sorted(members, key=lambda m: m["memberID"]),
            "error": None,
        }

    for gid in group_ids:
        request = [ConsumerGroupTopicPartitions(gid)]
        try:
            result = admin.list_consumer_group_offsets(request, request_timeout=TIMEOUT)[gid].result(timeout=TIMEOUT)
            out["committed"][gid] = {
                f"{tp.topic}:{tp.partition}": tp.offset for tp in result.topic_partitions if tp.offset >= 0
            }
        except Exception as e:
            out["committed"][gid] = {"error": str(e)}

    if partitions:
        specs = {tp: OffsetSpec.latest() for tp in partitions}
        for tp, future in admin.list_offsets(specs, request_timeout=TIMEOUT).items():
            try:
                out["ends"][f"{tp.topic}:{tp.partition}"] = future.result(timeout=TIMEOUT).offset
            except Exception as e:
                out["ends"][f"{tp.topic}:{tp.partition}"] = str(e)

    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        print(f"oracle_describe: {e}", file=sys.stderr)
        sys.exit(2)
