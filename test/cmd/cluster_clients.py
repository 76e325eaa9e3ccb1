"""redis-py's RedisCluster against a twinkv cluster in redirect mode.

Usage: python3 cluster_clients.py PORT
Connects to 127.0.0.1:PORT (any member), learns the topology the way
RedisCluster does (INFO cluster_enabled, CLUSTER SLOTS, COMMAND), then
drives keys spread over every node: single-key commands routed by COMMAND's
first/last/step, multi-key commands inside one hash tag, a ZUNIONSTORE and
SINTERSTORE (movablekeys: routed through COMMAND GETKEYS), and pipelines.
Every reply is checked; the first mismatch raises and the exit status is 1.
Ends by checking that each key lives on exactly the node that owns its slot.
"""

import sys
import traceback

from redis.cluster import RedisCluster


def expect(name, want, got):
    if want != got:
        raise AssertionError(f"{name}: expected {want!r}, got {got!r}")


def main():
    port = int(sys.argv[1])
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    nodes = rc.get_primaries()
    expect("primaries", 3, len(nodes))
    # Every slot has an owner.
    for slot in (0, 1, 5000, 12182, 16383):
        rc.nodes_manager.get_node_from_slot(slot)

    n = 300
    keys = [f"key:{i}" for i in range(n)]
    owners = {rc.get_node_from_key(k).name for k in keys}
    expect("keys spread over every node", 3, len(owners))

    for i, k in enumerate(keys):
        expect(f"set {k}", True, rc.set(k, f"v{i}"))
    for i, k in enumerate(keys):
        expect(f"get {k}", f"v{i}", rc.get(k))
    expect("exists", 1, rc.exists(keys[0]))
    # RedisCluster splits multi-key EXISTS/DELETE per slot.
    expect("exists many", 10, rc.exists(*keys[:10]))

    for i in range(50):
        expect(f"incr {i}", 1, rc.incr(f"ctr:{i}"))
        expect(f"incrby {i}", 11, rc.incrby(f"ctr:{i}", 10))
        expect(f"lpush {i}", 3, rc.lpush(f"list:{i}", "a", "b", "c"))
        expect(f"lrange {i}", ["c", "b", "a"], rc.lrange(f"list:{i}", 0, -1))
        expect(f"hset {i}", 2, rc.hset(f"hash:{i}", mapping={"f1": "x", "f2": "y"}))
        expect(f"hgetall {i}", {"f1": "x", "f2": "y"}, rc.hgetall(f"hash:{i}"))
        expect(f"sadd {i}", 3, rc.sadd(f"set:{i}", "m1", "m2", "m3"))
        expect(f"smembers {i}", {"m1", "m2", "m3"}, rc.smembers(f"set:{i}"))
        expect(f"zadd {i}", 3, rc.zadd(f"zset:{i}", {"a": 1, "b": 2, "c": 3}))
        expect(f"zrange {i}", ["a", "b", "c"], rc.zrange(f"zset:{i}", 0, -1))
        expect(f"expire {i}", True, rc.expire(f"ctr:{i}", 100))
        ttl = rc.ttl(f"ctr:{i}")
        if not 0 < ttl <= 100:
            raise AssertionError(f"ttl ctr:{i}: {ttl}")
        expect(f"ttl without expiry {i}", -1, rc.ttl(f"list:{i}"))

    # Multi-key commands in one slot (hash tag), several tags.
    for t in range(20):
        tag = f"{{user{t}}}"
        expect(f"mset {tag}", True, rc.mset({f"{tag}a": "1", f"{tag}b": "2", f"{tag}c": "3"}))
        expect(f"mget {tag}", ["1", "2", None, "3"],
               rc.mget(f"{tag}a", f"{tag}b", f"{tag}missing", f"{tag}c"))
        rc.sadd(f"{tag}s1", "x", "y", "z")
        rc.sadd(f"{tag}s2", "y", "z", "w")
        expect(f"sinterstore {tag}", 2, rc.sinterstore(f"{tag}dst", [f"{tag}s1", f"{tag}s2"]))
        expect(f"sinter result {tag}", {"y", "z"}, rc.smembers(f"{tag}dst"))
        rc.zadd(f"{tag}z1", {"a": 1, "b": 2})
        rc.zadd(f"{tag}z2", {"b": 3, "c": 4})
        # ZUNIONSTORE is movablekeys: redis-py asks COMMAND GETKEYS.
        expect(f"zunionstore {tag}", 3, rc.zunionstore(f"{tag}zu", [f"{tag}z1", f"{tag}z2"]))
        expect(f"zunion result {tag}", [("a", 1.0), ("c", 4.0), ("b", 5.0)],
               rc.zrange(f"{tag}zu", 0, -1, withscores=True))
        expect(f"zinterstore {tag}", 1,
               rc.zinterstore(f"{tag}zi", {f"{tag}z1": 1, f"{tag}z2": 2}))
        expect(f"zinter result {tag}", [("b", 8.0)],
               rc.zrange(f"{tag}zi", 0, -1, withscores=True))
        expect(f"delete {tag}", 3, rc.delete(f"{tag}a", f"{tag}b", f"{tag}c"))
        expect(f"exists after delete {tag}", 0, rc.exists(f"{tag}a"))

    # COMMAND GETKEYS directly, as redis-py's parser uses it.
    expect("getkeys zunionstore", ["d", "a", "b"],
           nodes[0].redis_connection.execute_command(
               "COMMAND GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"))

    # Pipelines: commands for all nodes in one batch, replies in order.
    pipe = rc.pipeline()
    for i in range(100):
        pipe.set(f"pipe:{i}", i)
        pipe.incr(f"pipe:{i}")
        pipe.get(f"pipe:{i}")
    replies = pipe.execute()
    for i in range(100):
        expect(f"pipeline {i}", [True, i + 1, str(i + 1)], replies[3 * i:3 * i + 3])
    pipe = rc.pipeline()
    for i in range(100):
        pipe.delete(f"pipe:{i}")
        pipe.exists(f"pipe:{i}")
    expect("pipeline delete", [1, 0] * 100, pipe.execute())

    # Deletes of the spread keys, one by one and routed per key.
    for k in keys[:100]:
        expect(f"delete {k}", 1, rc.delete(k))
    expect("delete many (split per slot)", 100, rc.delete(*keys[100:200]))

    # Each remaining key is stored on exactly the node that owns its slot.
    # (KEYS has no key arguments, so a node answers it without MOVED.)
    stored = {node.name: set(node.redis_connection.keys("key:*")) for node in nodes}
    for k in keys[200:]:
        holders = [name for name, ks in stored.items() if k in ks]
        expect(f"owner of {k}", [rc.get_node_from_key(k).name], holders)
    expect("no stray keys", 100, sum(len(ks) for ks in stored.values()))

    rc.close()
    print("redis-py cluster checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # any failure: report and fail
        traceback.print_exc()
        print(f"FAIL: {type(e).__name__}: {e}")
        sys.exit(1)
