#!/usr/bin/env python3
"""Runs real librdkafka consumers (confluent-kafka) in one group for kgtop's integration tests.

Usage: peer_consumers.py BOOTSTRAP GROUP TOPIC PARTITIONS MEMBERS [PROTOCOL] [ASSIGNOR]

Creates TOPIC when missing, produces one record per partition, starts MEMBERS consumers in GROUP
(group.protocol PROTOCOL, default classic), prints READY once every partition is assigned (or
TIMEOUT after 30 s), then keeps polling until standard input closes, and closes the consumers.
"""
import sys
import threading
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    bootstrap, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    partitions, members = int(sys.argv[4]), int(sys.argv[5])
    protocol = sys.argv[6] if len(sys.argv) > 6 else "classic"
    assignor = sys.argv[7] if len(sys.argv) > 7 else "range"

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic not in admin.list_topics(timeout=10).topics:
        for f in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
            f.result(10)
    producer = Producer({"bootstrap.servers": bootstrap, "batch.num.messages": 1, "linger.ms": 0})
    for p in range(partitions):
        producer.produce(topic, value=b"x", partition=p)
    producer.flush(10)

    stop = threading.Event()
    assigned = {}
    lock = threading.Lock()

    def run(i):
        conf = {
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": f"{group}-{i}",
            "group.protocol": protocol, "auto.offset.reset": "earliest", "enable.auto.commit": True,
            "auto.commit.interval.ms": 500, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
        }
        if protocol == "classic":
            conf["partition.assignment.strategy"] = assignor
        c = Consumer(conf)

        def on_assign(consumer, parts):
            with lock:
                assigned.setdefault(i, set()).update(p.partition for p in parts)

        def on_revoke(consumer, parts):
            with lock:
                assigned.setdefault(i, set()).difference_update(p.partition for p in parts)

        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        while not stop.is_set():
            c.poll(0.2)
        c.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(members)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        with lock:
            owned = set().union(*assigned.values()) if assigned else set()
            ready = len(owned) == partitions and len([s for s in assigned.values() if s]) == min(members, partitions)
        if ready:
            break
        time.sleep(0.2)
    print("READY" if ready else "TIMEOUT", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    stop.set()
    for t in threads:
        t.join(15)


if __name__ == "__main__":
    main()
