// Deep copies of every type through the real families: COPY, and the
// multi-rollback undo log (which snapshots values with the same Clone).

#include <string>

#include "core/families.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

TEST(CopyTest, EveryTypeIsCopiedDeeply) {
  EngineHarness h(RegisterAllFamilies);
  h.Run({"SET", "str", "v"});
  h.Run({"RPUSH", "list", "a", "b"});
  h.Run({"HSET", "hash", "f", "1"});
  h.Run({"SADD", "set", "a", "b"});
  h.Run({"ZADD", "zset", "1", "a", "2.5", "b"});
  for (const char* key : {"str", "list", "hash", "set", "zset"}) {
    EXPECT_EQ(h.Run({"COPY", key, std::string(key) + "2"}), "(integer) 1")
        << key;
  }
  // Changing the originals leaves the copies alone.
  h.Run({"SADD", "set", "c"});
  h.Run({"ZADD", "zset", "9", "c"});
  h.Run({"ZINCRBY", "zset", "10", "a"});
  EXPECT_EQ(h.Run({"SCARD", "set2"}), "(integer) 2");
  EXPECT_EQ(h.Run({"SISMEMBER", "set2", "b"}), "(integer) 1");
  EXPECT_EQ(h.Run({"ZRANGE", "zset2", "0", "-1", "WITHSCORES"}),
            "[a, 1, b, 2.5]");
  EXPECT_EQ(h.Run({"ZSCORE", "zset2", "b"}), "2.5");
  EXPECT_EQ(h.Run({"ZRANK", "zset2", "b"}), "(integer) 1");
  // And the copies live on when the originals go.
  h.Run({"DEL", "set", "zset"});
  EXPECT_EQ(h.Run({"SMISMEMBER", "set2", "a", "c"}), "[(integer) 1, (integer) 0]");
  EXPECT_EQ(h.Run({"ZCARD", "zset2"}), "(integer) 2");
}

TEST(CopyTest, RollbackRestoresSetsAndSortedSets) {
  Config config;
  config.multi_rollback = true;
  EngineHarness h(RegisterAllFamilies, config);
  h.Run({"SADD", "s", "a"});
  h.Run({"ZADD", "z", "1", "a"});
  h.Run({"SET", "str", "x"});
  EXPECT_EQ(h.Run({"MULTI"}), "OK");
  EXPECT_EQ(h.Run({"SADD", "s", "b"}), "QUEUED");
  EXPECT_EQ(h.Run({"ZADD", "z", "2", "b"}), "QUEUED");
  EXPECT_EQ(h.Run({"INCR", "str"}), "QUEUED");  // fails at run time
  const std::string exec = h.Run({"EXEC"});
  EXPECT_EQ(exec.rfind("(error) EXECABORT Transaction rolled back", 0), 0u)
      << exec;
  EXPECT_EQ(h.Run({"SCARD", "s"}), "(integer) 1");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[a, 1]");
}

}  // namespace
}  // namespace twinkv
