// Tests of the sorted-set commands through the dispatcher.
//
// The scripted tables were recorded from redis-server 7.0.15 (each table
// starts from an empty server): every reply, error string and error
// precedence below is Redis's. Random or hash-order replies (ZRANDMEMBER,
// ZSCAN) are checked separately, sorted. Ends with a ZSCAN guarantee
// property and a RapidCheck state-machine test against a
// std::map<member, score> model (ranks and ranges computed by sorting).
// RapidCheck prints the seed of a failing run; RC_PARAMS="seed=N" replays.

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/resp/reply_writer.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "rapidcheck/state.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

void Register(CommandTable& t) {
  RegisterZSetFamily(t);
  RegisterSetFamily(t);
  RegisterStringFamily(t);
  RegisterKeyFamily(t);
}

struct Step {
  std::vector<std::string> args;
  std::string want;
};

void RunScript(const std::vector<Step>& steps, int protocol = 2) {
  EngineHarness h(Register);
  h.client().protocol = protocol;
  for (const Step& s : steps) {
    EXPECT_EQ(h.Run(s.args), s.want) << absl::StrJoin(s.args, " ");
  }
}

TEST(ZSetFamilyTest, AddIncrScoreCard) {
  RunScript({
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, "(integer) 3"},
      {{"ZADD", "z"},
       "(error) ERR wrong number of arguments for 'zadd' command"},
      {{"ZADD", "z", "1"},
       "(error) ERR wrong number of arguments for 'zadd' command"},
      {{"ZADD", "z", "1", "a", "2"}, "(error) ERR syntax error"},
      {{"ZADD", "z", "NX", "XX", "1", "a"},
       "(error) ERR XX and NX options at the same time are not compatible"},
      {{"ZADD", "z", "GT", "LT", "1", "a"},
       "(error) ERR GT, LT, and/or NX options at the same time are not "
       "compatible"},
      {{"ZADD", "z", "GT", "NX", "1", "a"},
       "(error) ERR GT, LT, and/or NX options at the same time are not "
       "compatible"},
      {{"ZADD", "z", "LT", "NX", "1", "a"},
       "(error) ERR GT, LT, and/or NX options at the same time are not "
       "compatible"},
      {{"ZADD", "z", "INCR", "1", "a", "2", "b"},
       "(error) ERR INCR option supports a single increment-element pair"},
      {{"ZADD", "z", "x", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "nan", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "1e400", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "1e-400", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", " 1", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "1 ", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "", "a"}, "(error) ERR value is not a valid float"},
      {{"ZADD", "z", "0x10", "hex"}, "(integer) 1"},
      {{"ZSCORE", "z", "hex"}, "16"},
      {{"ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2"},
       "(integer) 3"},
      {{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
       "[ninf, -inf, a, 1, b, 2, c, 3, hex, 16, pinf, inf, pinf2, inf]"},
      {{"ZADD", "z", "CH", "5", "a", "2", "b", "9", "new"}, "(integer) 2"},
      {{"ZADD", "z", "NX", "100", "a", "7", "nx"}, "(integer) 1"},
      {{"ZADD", "z", "XX", "100", "a", "7", "xx"}, "(integer) 0"},
      {{"ZSCORE", "z", "a"}, "100"},
      {{"ZSCORE", "z", "xx"}, "(nil)"},
      {{"ZADD", "z", "GT", "50", "a", "200", "b"}, "(integer) 0"},
      {{"ZADD", "z", "GT", "CH", "50", "a", "200", "b"}, "(integer) 0"},
      {{"ZADD", "z", "LT", "CH", "1", "a", "300", "b"}, "(integer) 1"},
      {{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
       "[ninf, -inf, a, 1, c, 3, nx, 7, new, 9, hex, 16, b, 200, pinf, inf, "
       "pinf2, inf]"},
      {{"ZADD", "z", "INCR", "10", "a"}, "11"},
      {{"ZADD", "z", "INCR", "NX", "10", "a"}, "(nil)"},
      {{"ZADD", "z", "INCR", "XX", "10", "nonexist"}, "(nil)"},
      {{"ZADD", "z", "INCR", "GT", "-1", "a"}, "(nil)"},
      {{"ZADD", "z", "INCR", "LT", "-1", "a"}, "10"},
      {{"ZADD", "z", "INCR", "inf", "pinf"}, "inf"},
      {{"ZADD", "z", "INCR", "-inf", "pinf"},
       "(error) ERR resulting score is not a number (NaN)"},
      {{"ZINCRBY", "z", "-inf", "pinf"},
       "(error) ERR resulting score is not a number (NaN)"},
      {{"ZINCRBY", "z", "1.5", "fresh"}, "1.5"},
      {{"ZINCRBY", "z", "x", "fresh"},
       "(error) ERR value is not a valid float"},
      {{"ZINCRBY", "z", "0.1", "fresh"}, "1.6000000000000001"},
      {{"ZSCORE", "z", "fresh"}, "1.6000000000000001"},
      {{"ZADD", "nokey", "XX", "1", "a"}, "(integer) 0"},
      {{"EXISTS", "nokey"}, "(integer) 0"},
      {{"ZADD", "nokey", "XX", "INCR", "1", "a"}, "(nil)"},
      {{"ZADD", "z", "1.5e2", "big", "-0", "negzero", "0.1", "tenth", "1e20",
        "huge", "3.0000000000000004", "eps"},
       "(integer) 5"},
      {{"ZMSCORE", "z", "big", "negzero", "tenth", "huge", "eps", "missing"},
       "[150, 0, 0.10000000000000001, 1e+20, 3.0000000000000004, (nil)]"},
      {{"ZMSCORE", "nokey", "a", "b"}, "[(nil), (nil)]"},
      {{"ZSCORE", "nokey", "a"}, "(nil)"},
      {{"ZCARD", "z"}, "(integer) 15"},
      {{"ZCARD", "nokey"}, "(integer) 0"},
      {{"SET", "str", "x"}, "OK"},
      {{"ZADD", "str", "1", "a"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZSCORE", "str", "a"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
  });
}

TEST(ZSetFamilyTest, RangesRanksCounts) {
  RunScript({
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"},
       "(integer) 5"},
      {{"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0",
        "ab"},
       "(integer) 6"},
      {{"ZRANGE", "z", "0", "-1"}, "[a, b, c, d, e]"},
      {{"ZRANGE", "z", "1", "2", "WITHSCORES"}, "[b, 2, c, 3]"},
      {{"ZRANGE", "z", "-2", "-1"}, "[d, e]"},
      {{"ZRANGE", "z", "3", "100"}, "[d, e]"},
      {{"ZRANGE", "z", "5", "10"}, "[]"},
      {{"ZRANGE", "z", "2", "1"}, "[]"},
      {{"ZRANGE", "z", "-100", "0"}, "[a]"},
      {{"ZRANGE", "z", "0", "-1", "REV"}, "[e, d, c, b, a]"},
      {{"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}, "[e, 5, d, 4]"},
      {{"ZRANGE", "z", "x", "1"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"},
       "(error) ERR syntax error, LIMIT is only supported in combination with "
       "either BYSCORE or BYLEX"},
      {{"ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"}, "[a, b]"},
      {{"ZRANGE", "z", "0", "1", "LIMIT", "0"}, "(error) ERR syntax error"},
      {{"ZRANGE", "z", "0", "1", "FOO"}, "(error) ERR syntax error"},
      {{"ZRANGE", "z", "(1", "4", "BYSCORE"}, "[b, c, d]"},
      {{"ZRANGE", "z", "1", "(4", "BYSCORE", "WITHSCORES"},
       "[a, 1, b, 2, c, 3]"},
      {{"ZRANGE", "z", "4", "1", "BYSCORE", "REV"}, "[d, c, b, a]"},
      {{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"}, "[b, c]"},
      {{"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"},
       "[d, c]"},
      {{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"},
       "[b, c, d, e]"},
      {{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "1"}, "[]"},
      {{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"}, "[]"},
      {{"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "0"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZRANGE", "z", "a", "b", "BYSCORE"},
       "(error) ERR min or max is not a float"},
      {{"ZRANGE", "z", "(", "(3", "BYSCORE"}, "[a, b]"},
      {{"ZRANGE", "z", "", "3", "BYSCORE"}, "[a, b, c]"},
      {{"ZRANGE", "z", " 2", "3", "BYSCORE"}, "[b, c]"},
      {{"ZRANGE", "z", "nan", "3", "BYSCORE"},
       "(error) ERR min or max is not a float"},
      {{"ZRANGE", "z", "3", "3", "BYSCORE"}, "[c]"},
      {{"ZRANGE", "z", "(3", "3", "BYSCORE"}, "[]"},
      {{"ZRANGE", "z", "4", "2", "BYSCORE"}, "[]"},
      {{"ZRANGE", "z", "1", "2", "BYSCORE", "BYLEX"},
       "(error) ERR syntax error"},
      {{"ZRANGE", "z", "1", "2", "BYSCORE", "REV", "REV"},
       "(error) ERR syntax error"},
      {{"ZRANGE", "lex", "-", "+", "BYLEX"}, "[a, ab, b, c, d, e]"},
      {{"ZRANGE", "lex", "[a", "(c", "BYLEX"}, "[a, ab, b]"},
      {{"ZRANGE", "lex", "(a", "[c", "BYLEX", "LIMIT", "1", "5"}, "[b, c]"},
      {{"ZRANGE", "lex", "+", "-", "BYLEX", "REV"}, "[e, d, c, b, ab, a]"},
      {{"ZRANGE", "lex", "[c", "-", "BYLEX", "REV", "LIMIT", "0", "2"},
       "[c, b]"},
      {{"ZRANGE", "lex", "a", "c", "BYLEX"},
       "(error) ERR min or max not valid string range item"},
      {{"ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"},
       "(error) ERR syntax error, WITHSCORES not supported in combination with "
       "BYLEX"},
      {{"ZRANGE", "lex", "+a", "+", "BYLEX"},
       "(error) ERR min or max not valid string range item"},
      {{"ZRANGE", "lex", "", "+", "BYLEX"},
       "(error) ERR min or max not valid string range item"},
      {{"ZRANGE", "lex", "+", "+", "BYLEX"}, "[]"},
      {{"ZRANGE", "lex", "-", "-", "BYLEX"}, "[]"},
      {{"ZRANGE", "lex", "[c", "[b", "BYLEX"}, "[]"},
      {{"ZRANGE", "nokey", "0", "-1"}, "[]"},
      {{"ZRANGE", "nokey", "0", "-1", "LIMIT", "0", "1"},
       "(error) ERR syntax error, LIMIT is only supported in combination with "
       "either BYSCORE or BYLEX"},
      {{"ZRANGE", "nokey", "x", "1"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZREVRANGE", "z", "0", "1", "WITHSCORES"}, "[e, 5, d, 4]"},
      {{"ZREVRANGE", "z", "0", "1", "REV"}, "(error) ERR syntax error"},
      {{"ZREVRANGE", "z", "0", "1", "BYSCORE"}, "(error) ERR syntax error"},
      {{"ZRANGEBYSCORE", "z", "2", "4"}, "[b, c, d]"},
      {{"ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "1", "1"},
       "[c, 3]"},
      {{"ZRANGEBYSCORE", "z", "2", "4", "BYSCORE"}, "(error) ERR syntax error"},
      {{"ZRANGEBYSCORE", "z", "2", "4", "REV"}, "(error) ERR syntax error"},
      {{"ZRANGEBYSCORE", "z", "-inf", "2", "withscores"}, "[a, 1, b, 2]"},
      {{"ZREVRANGEBYSCORE", "z", "4", "2"}, "[d, c, b]"},
      {{"ZREVRANGEBYSCORE", "z", "2", "4"}, "[]"},
      {{"ZREVRANGEBYSCORE", "z", "+inf", "(4", "WITHSCORES"}, "[e, 5]"},
      {{"ZRANGEBYLEX", "lex", "[b", "[d"}, "[b, c, d]"},
      {{"ZRANGEBYLEX", "lex", "[b", "[d", "LIMIT", "1", "1"}, "[c]"},
      {{"ZRANGEBYLEX", "lex", "[b", "[d", "WITHSCORES"},
       "(error) ERR syntax error, WITHSCORES not supported in combination with "
       "BYLEX"},
      {{"ZRANGEBYLEX", "lex", "b", "d"},
       "(error) ERR min or max not valid string range item"},
      {{"ZREVRANGEBYLEX", "lex", "[d", "[b"}, "[d, c, b]"},
      {{"ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "0", "3"}, "[e, d, c]"},
      {{"ZRANGESTORE", "dst", "z", "0", "1"}, "(integer) 2"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, "[a, 1, b, 2]"},
      {{"ZRANGESTORE", "dst", "z", "1", "3", "BYSCORE", "REV"}, "(integer) 0"},
      {{"ZRANGESTORE", "dst", "z", "3", "1", "BYSCORE", "REV"}, "(integer) 3"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, "[a, 1, b, 2, c, 3]"},
      {{"ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"},
       "(error) ERR syntax error"},
      {{"ZRANGESTORE", "dst", "lex", "[b", "[c", "BYLEX"}, "(integer) 2"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, "[b, 0, c, 0]"},
      {{"ZRANGESTORE", "dst", "z", "10", "20"}, "(integer) 0"},
      {{"EXISTS", "dst"}, "(integer) 0"},
      {{"ZRANGESTORE", "dst", "nokey", "0", "-1"}, "(integer) 0"},
      {{"ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"},
       "(error) ERR syntax error, LIMIT is only supported in combination with "
       "either BYSCORE or BYLEX"},
      {{"ZRANK", "z", "c"}, "(integer) 2"},
      {{"ZRANK", "z", "x"}, "(nil)"},
      {{"ZRANK", "nokey", "c"}, "(nil)"},
      {{"ZREVRANK", "z", "c"}, "(integer) 2"},
      {{"ZREVRANK", "z", "a"}, "(integer) 4"},
      {{"ZREVRANK", "z", "x"}, "(nil)"},
      {{"ZCOUNT", "z", "2", "4"}, "(integer) 3"},
      {{"ZCOUNT", "z", "(2", "(4"}, "(integer) 1"},
      {{"ZCOUNT", "z", "-inf", "+inf"}, "(integer) 5"},
      {{"ZCOUNT", "z", "4", "2"}, "(integer) 0"},
      {{"ZCOUNT", "z", "x", "2"}, "(error) ERR min or max is not a float"},
      {{"ZCOUNT", "nokey", "1", "2"}, "(integer) 0"},
      {{"ZCOUNT", "z", "(1", "(1"}, "(integer) 0"},
      {{"ZLEXCOUNT", "lex", "-", "+"}, "(integer) 6"},
      {{"ZLEXCOUNT", "lex", "[a", "(b"}, "(integer) 2"},
      {{"ZLEXCOUNT", "lex", "[ab", "[c"}, "(integer) 3"},
      {{"ZLEXCOUNT", "lex", "x", "+"},
       "(error) ERR min or max not valid string range item"},
      {{"ZLEXCOUNT", "nokey", "-", "+"}, "(integer) 0"},
      {{"ZLEXCOUNT", "lex", "[c", "[a"}, "(integer) 0"},
  });
}

TEST(ZSetFamilyTest, RemovalPopRandOps) {
  RunScript({
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"},
       "(integer) 5"},
      {{"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"},
       "(integer) 5"},
      {{"ZREM", "z", "a", "x", "a"}, "(integer) 1"},
      {{"ZREM", "nokey", "a"}, "(integer) 0"},
      {{"ZREMRANGEBYRANK", "z", "0", "0"}, "(integer) 1"},
      {{"ZRANGE", "z", "0", "-1"}, "[c, d, e]"},
      {{"ZREMRANGEBYRANK", "z", "-1", "-1"}, "(integer) 1"},
      {{"ZREMRANGEBYRANK", "z", "5", "10"}, "(integer) 0"},
      {{"ZREMRANGEBYRANK", "z", "x", "1"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZREMRANGEBYRANK", "nokey", "0", "1"}, "(integer) 0"},
      {{"ZREMRANGEBYRANK", "nokey", "x", "1"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZREMRANGEBYSCORE", "z", "(3", "+inf"}, "(integer) 1"},
      {{"ZRANGE", "z", "0", "-1"}, "[c]"},
      {{"ZREMRANGEBYSCORE", "z", "a", "1"},
       "(error) ERR min or max is not a float"},
      {{"ZREMRANGEBYSCORE", "nokey", "1", "2"}, "(integer) 0"},
      {{"ZREMRANGEBYSCORE", "z", "5", "1"}, "(integer) 0"},
      {{"ZREMRANGEBYLEX", "lex", "[b", "(d"}, "(integer) 2"},
      {{"ZRANGE", "lex", "0", "-1"}, "[a, d, e]"},
      {{"ZREMRANGEBYLEX", "lex", "b", "d"},
       "(error) ERR min or max not valid string range item"},
      {{"ZREMRANGEBYLEX", "lex", "-", "+"}, "(integer) 3"},
      {{"EXISTS", "lex"}, "(integer) 0"},
      {{"ZREM", "z", "c"}, "(integer) 1"},
      {{"EXISTS", "z"}, "(integer) 0"},
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"},
       "(integer) 5"},
      {{"ZPOPMIN", "z"}, "[a, 1]"},
      {{"ZPOPMAX", "z"}, "[e, 5]"},
      {{"ZPOPMIN", "z", "2"}, "[b, 2, c, 3]"},
      {{"ZPOPMAX", "z", "0"}, "[]"},
      {{"ZPOPMIN", "z", "-1"},
       "(error) ERR value is out of range, must be positive"},
      {{"ZPOPMIN", "z", "x"},
       "(error) ERR value is out of range, must be positive"},
      {{"ZPOPMIN", "z", "1", "2"}, "(error) ERR syntax error"},
      {{"ZPOPMAX", "z", "10"}, "[d, 4]"},
      {{"EXISTS", "z"}, "(integer) 0"},
      {{"ZPOPMIN", "nokey"}, "[]"},
      {{"ZPOPMIN", "nokey", "3"}, "[]"},
      {{"SET", "str", "x"}, "OK"},
      {{"ZPOPMIN", "str"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZPOPMIN", "str", "0"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZPOPMIN", "str", "1"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, "(integer) 3"},
      {{"ZRANDMEMBER", "nokey"}, "(nil)"},
      {{"ZRANDMEMBER", "nokey", "5"}, "[]"},
      {{"ZRANDMEMBER", "z", "0"}, "[]"},
      {{"ZRANDMEMBER", "z", "x"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZRANDMEMBER", "z", "1", "foo"}, "(error) ERR syntax error"},
      {{"ZRANDMEMBER", "z", "1", "withscores", "x"},
       "(error) ERR syntax error"},
      {{"ZRANDMEMBER", "z", "-9223372036854775808"},
       "(error) ERR value is out of range, value must between "
       "-9223372036854775807 and 9223372036854775807"},
      {{"ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"},
       "(error) ERR value is out of range"},
      {{"ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"},
       "(error) ERR value is out of range"},
      {{"ZRANDMEMBER", "str"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZRANDMEMBER", "str", "1"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZADD", "z1", "1", "a", "2", "b", "3", "c"}, "(integer) 3"},
      {{"ZADD", "z2", "10", "b", "20", "c", "30", "d"}, "(integer) 3"},
      {{"SADD", "s", "c", "d", "e"}, "(integer) 3"},
      {{"ZUNION", "2", "z1", "z2"}, "[a, b, c, d]"},
      {{"ZUNION", "2", "z1", "z2", "WITHSCORES"},
       "[a, 1, b, 12, c, 23, d, 30]"},
      {{"ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "3", "WITHSCORES"},
       "[a, 2, b, 34, c, 66, d, 90]"},
      {{"ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"},
       "[a, 1, b, 2, c, 3, d, 30]"},
      {{"ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WITHSCORES"},
       "[a, 1, b, 10, c, 20, d, 30]"},
      {{"ZUNION", "3", "z1", "z2", "s", "WITHSCORES"},
       "[a, 1, e, 1, b, 12, c, 24, d, 31]"},
      {{"ZUNION", "2", "z1", "nokey", "WITHSCORES"}, "[a, 1, b, 2, c, 3]"},
      {{"ZINTER", "2", "z1", "z2", "WITHSCORES"}, "[b, 12, c, 23]"},
      {{"ZINTER", "3", "z1", "z2", "s", "WITHSCORES"}, "[c, 24]"},
      {{"ZINTER", "2", "z1", "nokey", "WITHSCORES"}, "[]"},
      {{"ZINTER", "2", "z1", "z2", "WEIGHTS", "1", "-1", "AGGREGATE", "SUM",
        "WITHSCORES"},
       "[c, -17, b, -8]"},
      {{"ZDIFF", "2", "z1", "z2", "WITHSCORES"}, "[a, 1]"},
      {{"ZDIFF", "2", "z2", "s", "WITHSCORES"}, "[b, 10]"},
      {{"ZDIFF", "1", "nokey"}, "[]"},
      {{"ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"},
       "(error) ERR syntax error"},
      {{"ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"},
       "(error) ERR syntax error"},
      {{"ZUNION", "0", "z1"},
       "(error) ERR at least 1 input key is needed for 'zunion' command"},
      {{"ZUNION", "-1", "z1"},
       "(error) ERR at least 1 input key is needed for 'zunion' command"},
      {{"ZUNION", "x", "z1"},
       "(error) ERR value is not an integer or out of range"},
      {{"ZUNION", "3", "z1", "z2"}, "(error) ERR syntax error"},
      {{"ZUNION", "2", "z1", "z2", "WEIGHTS", "1"}, "(error) ERR syntax error"},
      {{"ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"},
       "(error) ERR weight value is not a float"},
      {{"ZUNION", "2", "z1", "z2", "AGGREGATE"}, "(error) ERR syntax error"},
      {{"ZUNION", "2", "z1", "z2", "AGGREGATE", "avg"},
       "(error) ERR syntax error"},
      {{"ZUNION", "2", "z1", "z2", "FOO"}, "(error) ERR syntax error"},
      {{"ZUNION", "2", "z1", "str"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZUNION", "2", "z1", "str", "WEIGHTS", "x"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZUNIONSTORE", "dst", "2", "z1", "z2"}, "(integer) 4"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"},
       "[a, 1, b, 12, c, 23, d, 30]"},
      {{"ZUNIONSTORE", "dst", "2", "z1", "z2", "WITHSCORES"},
       "(error) ERR syntax error"},
      {{"ZINTERSTORE", "dst", "2", "z1", "z2", "AGGREGATE", "MAX"},
       "(integer) 2"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, "[b, 10, c, 20]"},
      {{"ZINTERSTORE", "dst", "2", "z1", "nokey"}, "(integer) 0"},
      {{"EXISTS", "dst"}, "(integer) 0"},
      {{"ZDIFFSTORE", "dst", "2", "z1", "z2"}, "(integer) 1"},
      {{"ZRANGE", "dst", "0", "-1", "WITHSCORES"}, "[a, 1]"},
      {{"ZDIFFSTORE", "dst", "1", "nokey"}, "(integer) 0"},
      {{"EXISTS", "dst"}, "(integer) 0"},
      {{"ZUNIONSTORE", "z1", "2", "z1", "z2"}, "(integer) 4"},
      {{"ZRANGE", "z1", "0", "-1", "WITHSCORES"},
       "[a, 1, b, 12, c, 23, d, 30]"},
      {{"ZUNIONSTORE", "dst", "0", "z1"},
       "(error) ERR at least 1 input key is needed for 'zunionstore' command"},
      {{"ZINTERSTORE", "dst", "0", "z1"},
       "(error) ERR at least 1 input key is needed for 'zinterstore' command"},
      {{"ZDIFFSTORE", "dst", "0", "z1"},
       "(error) ERR at least 1 input key is needed for 'zdiffstore' command"},
      {{"ZADD", "inf", "1", "a", "inf", "b", "-inf", "c"}, "(integer) 3"},
      {{"ZUNION", "2", "inf", "inf", "WITHSCORES"}, "[c, -inf, a, 2, b, inf]"},
      {{"ZUNION", "2", "inf", "inf", "WEIGHTS", "1", "-1", "WITHSCORES"},
       "[a, 0, b, 0, c, 0]"},
      {{"ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"},
       "[a, 0, b, 0, c, 0]"},
      {{"ZINTER", "2", "inf", "inf", "WEIGHTS", "1", "-1", "AGGREGATE", "MIN",
        "WITHSCORES"},
       "[b, -inf, c, -inf, a, -1]"},
      {{"ZSCAN", "nokey", "0"}, "[0, []]"},
      {{"ZSCAN", "nokey", "x"}, "(error) ERR invalid cursor"},
      {{"ZSCAN", "z2", "0", "COUNT", "0"}, "(error) ERR syntax error"},
      {{"ZSCAN", "z2", "0", "NOVALUES"}, "(error) ERR syntax error"},
      {{"ZSCAN", "str", "0"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
  });
}

TEST(ZSetFamilyTest, Resp3Shapes) {
  RunScript(
      {
          {{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, "(integer) 3"},
          {{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
           "[[a, 1], [b, 2], [c, 3]]"},
          {{"ZRANGE", "z", "0", "-1"}, "[a, b, c]"},
          {{"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1",
            "1"},
           "[[b, 2]]"},
          {{"ZREVRANGE", "z", "0", "0", "WITHSCORES"}, "[[c, 3]]"},
          {{"ZSCORE", "z", "a"}, "1"},
          {{"ZSCORE", "z", "x"}, "(nil)"},
          {{"ZMSCORE", "z", "a", "x"}, "[1, (nil)]"},
          {{"ZINCRBY", "z", "0.5", "a"}, "1.5"},
          {{"ZADD", "z", "INCR", "1", "b"}, "3"},
          {{"ZADD", "z", "INCR", "NX", "1", "b"}, "(nil)"},
          {{"ZUNION", "1", "z", "WITHSCORES"}, "[[a, 1.5], [b, 3], [c, 3]]"},
          {{"ZINTER", "1", "z", "WITHSCORES"}, "[[a, 1.5], [b, 3], [c, 3]]"},
          {{"ZDIFF", "1", "z", "WITHSCORES"}, "[[a, 1.5], [b, 3], [c, 3]]"},
          {{"ZRANK", "z", "x"}, "(nil)"},
          {{"ZPOPMIN", "z"}, "[a, 1.5]"},
          {{"ZPOPMAX", "z", "1"}, "[[c, 3]]"},
          {{"ZPOPMIN", "nokey"}, "[]"},
          {{"ZRANDMEMBER", "nokey"}, "(nil)"},
          {{"ZSCAN", "z", "0"}, "[0, [b, 3]]"},
          {{"ZADD", "inf", "inf", "a", "-inf", "b"}, "(integer) 2"},
          {{"ZRANGE", "inf", "0", "-1", "WITHSCORES"}, "[[b, -inf], [a, inf]]"},
      },
      3);
}

// The exact bytes of RESP3 scores and pairs.
// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (7.0).
TEST(ZSetFamilyTest, ZMPop) {
  RunScript({
      {{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, "(integer) 3"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT", "2"}, "[z, [[a, 1], [b, 2]]]"},
      {{"ZMPOP", "1", "nokey", "MIN"}, "(nil)"},
      {{"ZMPOP", "0", "z", "MIN"},
       "(error) ERR numkeys should be greater than 0"},
      {{"ZMPOP", "x", "z", "MIN"},
       "(error) ERR numkeys should be greater than 0"},
      {{"ZMPOP", "2", "z", "MIN"}, "(error) ERR syntax error"},
      {{"ZMPOP", "1", "z", "FOO"}, "(error) ERR syntax error"},
      {{"ZMPOP", "1", "z", "COUNT", "1"}, "(error) ERR syntax error"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT"}, "(error) ERR syntax error"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT", "0"},
       "(error) ERR count should be greater than 0"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT", "-1"},
       "(error) ERR count should be greater than 0"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT", "x"},
       "(error) ERR count should be greater than 0"},
      {{"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"},
       "(error) ERR syntax error"},
      {{"ZMPOP", "1", "z"},
       "(error) ERR wrong number of arguments for 'zmpop' command"},
      {{"SET", "s", "v"}, "OK"},
      {{"ZMPOP", "2", "s", "z", "MIN"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      // The first non-empty key answers; later keys are not looked at.
      {{"ZMPOP", "2", "z", "s", "max"}, "[z, [[c, 3]]]"},
      {{"EXISTS", "z"}, "(integer) 0"},
      {{"ZMPOP", "2", "none", "z", "MIN", "COUNT", "1", "foo"},
       "(error) ERR syntax error"},
      // Without a client that can block, BZMPOP times out at once.
      {{"BZMPOP", "0", "1", "z", "MIN"}, "(nil)"},
      {{"BZMPOP", "x", "1", "z", "FOO"}, "(error) ERR syntax error"},
      {{"BZMPOP", "x", "0", "z", "MIN"},
       "(error) ERR numkeys should be greater than 0"},
      {{"BZMPOP", "x", "1", "z", "MIN"},
       "(error) ERR timeout is not a float or out of range"},
      {{"BZMPOP", "-1", "1", "z", "MIN"}, "(error) ERR timeout is negative"},
      {{"BZMPOP", "0", "1", "s", "MIN"},
       "(error) WRONGTYPE Operation against a key holding the wrong kind of "
       "value"},
      {{"ZADD", "y", "1", "a", "2", "b"}, "(integer) 2"},
      {{"BZMPOP", "0", "2", "none", "y", "MAX", "COUNT", "5"},
       "[y, [[b, 2], [a, 1]]]"},
  });
}

TEST(ZSetFamilyTest, ZMPopResp3ScoresAreDoubles) {
  EngineHarness h(Register);
  h.client().protocol = 3;
  h.Run({"ZADD", "z", "1.5", "a"});
  EXPECT_EQ(h.RunRaw({"ZMPOP", "1", "z", "MIN"}),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n");
  EXPECT_EQ(h.RunRaw({"ZMPOP", "1", "z", "MIN"}), "_\r\n");
}

TEST(ZSetFamilyTest, Resp3Bytes) {
  EngineHarness h(Register);
  h.client().protocol = 3;
  h.Run({"ZADD", "q", "1.5", "a", "inf", "b"});
  EXPECT_EQ(h.RunRaw({"ZRANGE", "q", "0", "-1", "WITHSCORES"}),
            "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,inf\r\n");
  EXPECT_EQ(h.RunRaw({"ZPOPMAX", "q"}), "*2\r\n$1\r\nb\r\n,inf\r\n");
  EXPECT_EQ(h.RunRaw({"ZSCAN", "q", "0"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
  h.client().protocol = 2;
  EXPECT_EQ(h.RunRaw({"ZSCORE", "q", "a"}), "$3\r\n1.5\r\n");
}

std::string SortedElements(const Reply& r) {
  std::vector<std::string> parts;
  for (const Reply& e : r.elements) parts.push_back(RenderReply(e));
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, " ");
}

TEST(ZSetFamilyTest, RandMember) {
  EngineHarness h(Register);
  h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(SortedElements(h.RunReply({"ZRANDMEMBER", "z", "3"})), "a b c");
  EXPECT_EQ(SortedElements(h.RunReply({"ZRANDMEMBER", "z", "10"})), "a b c");
  EXPECT_EQ(
      SortedElements(h.RunReply({"ZRANDMEMBER", "z", "10", "WITHSCORES"})),
      "1 2 3 a b c");
  Reply two = h.RunReply({"ZRANDMEMBER", "z", "2", "withscores"});
  ASSERT_EQ(two.elements.size(), 4u);
  EXPECT_NE(two.elements[0].str, two.elements[2].str);
  for (int i = 0; i < 4; i += 2) {
    // Each member comes with its own score.
    EXPECT_EQ(h.Run({"ZSCORE", "z", two.elements[i].str}),
              two.elements[i + 1].str);
  }
  Reply many = h.RunReply({"ZRANDMEMBER", "z", "-30"});
  ASSERT_EQ(many.elements.size(), 30u);
  std::set<std::string> seen;
  for (const Reply& e : many.elements) seen.insert(e.str);
  EXPECT_GT(seen.size(), 1u);
  for (const std::string& m : seen)
    EXPECT_TRUE(m == "a" || m == "b" || m == "c");
  Reply one = h.RunReply({"ZRANDMEMBER", "z"});
  EXPECT_EQ(one.type, Reply::Type::kBulk);
  EXPECT_EQ(h.Run({"ZCARD", "z"}), "(integer) 3");
}

TEST(ZSetFamilyTest, ScanSmallSetAndMatch) {
  EngineHarness h(Register);
  h.Run({"ZADD", "z", "10", "b", "20", "c", "30", "d"});
  Reply r = h.RunReply({"ZSCAN", "z", "0", "COUNT", "100"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].str, "0");
  std::map<std::string, std::string> got;
  for (size_t i = 0; i + 1 < r.elements[1].elements.size(); i += 2) {
    got[r.elements[1].elements[i].str] = r.elements[1].elements[i + 1].str;
  }
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"b", "10"}, {"c", "20"}, {"d", "30"}}));
  EXPECT_EQ(h.Run({"ZSCAN", "z", "0", "MATCH", "c", "COUNT", "100"}),
            "[0, [c, 20]]");
}

TEST(ZSetFamilyTest, WrongType) {
  EngineHarness h(Register);
  h.Run({"SET", "str", "x"});
  h.Run({"ZADD", "z", "1", "a"});
  const std::string kWrong =
      "(error) WRONGTYPE Operation against a key holding the wrong kind of "
      "value";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ZADD", "str", "1", "a"},
           {"ZINCRBY", "str", "1", "a"},
           {"ZSCORE", "str", "a"},
           {"ZMSCORE", "str", "a"},
           {"ZCARD", "str"},
           {"ZCOUNT", "str", "0", "1"},
           {"ZLEXCOUNT", "str", "-", "+"},
           {"ZRANK", "str", "a"},
           {"ZREVRANK", "str", "a"},
           {"ZRANGE", "str", "0", "1"},
           {"ZREVRANGE", "str", "0", "1"},
           {"ZRANGEBYSCORE", "str", "0", "1"},
           {"ZREVRANGEBYSCORE", "str", "0", "1"},
           {"ZRANGEBYLEX", "str", "-", "+"},
           {"ZREVRANGEBYLEX", "str", "+", "-"},
           {"ZRANGESTORE", "d", "str", "0", "1"},
           {"ZREM", "str", "a"},
           {"ZREMRANGEBYRANK", "str", "0", "1"},
           {"ZREMRANGEBYSCORE", "str", "0", "1"},
           {"ZREMRANGEBYLEX", "str", "-", "+"},
           {"ZPOPMIN", "str"},
           {"ZPOPMAX", "str", "0"},
           {"ZRANDMEMBER", "str"},
           {"ZUNIONSTORE", "d", "2", "z", "str"},
           {"ZINTERSTORE", "d", "1", "str"},
           {"ZDIFFSTORE", "d", "1", "str"},
           {"ZUNION", "1", "str"},
           {"ZINTER", "2", "z", "str"},
           {"ZDIFF", "2", "z", "str"},
           {"ZSCAN", "str", "0"},
       }) {
    EXPECT_EQ(h.Run(args), kWrong) << absl::StrJoin(args, " ");
  }
  // A set is a valid input to the set operations (every score 1).
  h.Run({"SADD", "s", "a", "b"});
  EXPECT_EQ(h.Run({"ZUNION", "2", "z", "s", "WITHSCORES"}), "[b, 1, a, 2]");
  EXPECT_EQ(h.Run({"ZRANGE", "s", "0", "1"}), kWrong);
}

TEST(ZSetFamilyTest, RowsMatchRedis) {
  EngineHarness h(Register);
  const CommandTable& t = h.engine().commands();
  ASSERT_NE(t.Find("zadd"), nullptr);
  EXPECT_EQ(t.Find("zadd")->arity, -4);
  EXPECT_EQ(t.Find("zadd")->flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_EQ(t.Find("zunionstore")->arity, -4);
  EXPECT_EQ(t.Find("zrangestore")->last_key, 2);
  EXPECT_EQ(t.Find("zrange")->group, "sorted-set");
  EXPECT_EQ(t.Find("zscan")->acl_categories,
            (std::vector<std::string>{"@read", "@sortedset", "@slow"}));
}

// --- ZSCAN's guarantee under growth and shrinkage. ---

RC_GTEST_PROP(ZSetScanProperty, ReturnsEveryStableMember, ()) {
  EngineHarness h(Register);
  const int stable = *rc::gen::inRange(1, 200);
  for (int i = 0; i < stable; ++i) {
    h.Run(std::vector<std::string>{"ZADD", "z", absl::StrCat(i),
                                   absl::StrCat("s", i)});
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int churn_begin = 0, churn_end = 0;
  int steps = 0;
  do {
    const std::string count = absl::StrCat(*rc::gen::inRange(1, 20));
    Reply r = h.RunReply({"ZSCAN", "z", cursor, "COUNT", count});
    RC_ASSERT(r.elements.size() == 2u);
    cursor = r.elements[0].str;
    const auto& items = r.elements[1].elements;
    RC_ASSERT(items.size() % 2 == 0u);
    for (size_t i = 0; i < items.size(); i += 2) seen.insert(items[i].str);
    const int n = *rc::gen::inRange(-300, 300);
    for (int i = 0; i < std::abs(n); ++i) {
      if (n > 0) {
        h.Run(std::vector<std::string>{"ZADD", "z", "1",
                                       absl::StrCat("t", churn_end++)});
      } else if (churn_begin < churn_end) {
        h.Run(std::vector<std::string>{"ZREM", "z",
                                       absl::StrCat("t", churn_begin++)});
      }
    }
    RC_ASSERT(++steps < 100000);
  } while (cursor != "0");
  for (int i = 0; i < stable; ++i) {
    RC_ASSERT(seen.count(absl::StrCat("s", i)) == 1u);
  }
}

// --- State machine against a std::map<member, score> model. ---

using ZModel = std::map<std::string, double>;
using Model = std::map<std::string, ZModel>;

rc::Gen<std::string> GenKey() {
  return rc::gen::elementOf(std::vector<std::string>{"a", "b"});
}
rc::Gen<std::string> GenMember() {
  return rc::gen::elementOf(
      std::vector<std::string>{"m", "n", "o", "p", "", "mm", "q"});
}
constexpr double kInf = std::numeric_limits<double>::infinity();
rc::Gen<double> GenScore() {
  return rc::gen::elementOf(
      std::vector<double>{-kInf, -2, -0.5, 0, 1, 1, 2, 3.25, 1e10, kInf});
}

std::string ScoreText(double d) {
  char buf[64];
  return std::string(buf, FormatDouble(d, buf));
}

// Elements sorted by (score, member), as the skip list orders them.
std::vector<std::pair<double, std::string>> Ordered(const ZModel& z) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& [m, s] : z) v.emplace_back(s, m);
  std::sort(v.begin(), v.end());
  return v;
}

ZModel Get(const Model& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? ZModel() : it->second;
}

struct ZAddCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::vector<std::pair<double, std::string>> pairs =
      *rc::gen::mapcat(rc::gen::inRange<size_t>(1, 4), [](size_t n) {
        return rc::gen::container<std::vector<std::pair<double, std::string>>>(
            n, rc::gen::pair(GenScore(), GenMember()));
      });
  int mode = *rc::gen::inRange(0, 5);  // 0 plain 1 NX 2 XX 3 GT 4 LT
  bool ch = *rc::gen::arbitrary<bool>();

  // Returns the reply count; changes `z`.
  int64_t Apply(ZModel& z) const {
    int64_t added = 0, changed = 0;
    for (const auto& [s, m] : pairs) {
      auto it = z.find(m);
      if (it == z.end()) {
        if (mode == 2) continue;
        z[m] = s;
        ++added;
      } else {
        if (mode == 1) continue;
        if (mode == 3 && !(s > it->second)) continue;
        if (mode == 4 && !(s < it->second)) continue;
        if (s != it->second) ++changed;
        it->second = s;
      }
    }
    return ch ? added + changed : added;
  }
  void apply(Model& m) const override {
    ZModel z = Get(m, key);
    Apply(z);
    if (z.empty()) {
      m.erase(key);
    } else {
      m[key] = z;
    }
  }
  std::vector<std::string> Args() const {
    std::vector<std::string> a = {"ZADD", key};
    const char* modes[] = {nullptr, "NX", "XX", "GT", "LT"};
    if (modes[mode]) a.push_back(modes[mode]);
    if (ch) a.push_back("CH");
    for (const auto& [s, m] : pairs) {
      a.push_back(ScoreText(s));
      a.push_back(m);
    }
    return a;
  }
  void run(const Model& m, EngineHarness& h) const override {
    ZModel z = Get(m, key);
    RC_ASSERT(h.Run(Args()) == absl::StrCat("(integer) ", Apply(z)));
  }
  void show(std::ostream& os) const override {
    os << absl::StrJoin(Args(), " ");
  }
};

struct ZIncrByCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  double incr = *GenScore();
  std::string member = *GenMember();
  void apply(Model& m) const override {
    ZModel z = Get(m, key);
    auto it = z.find(member);
    double v = (it == z.end() ? 0 : it->second) + incr;
    if (std::isnan(v)) return;
    m[key][member] = v;
  }
  void run(const Model& m, EngineHarness& h) const override {
    ZModel z = Get(m, key);
    auto it = z.find(member);
    double v = (it == z.end() ? 0 : it->second) + incr;
    RC_ASSERT(h.Run(std::vector<std::string>{"ZINCRBY", key, ScoreText(incr),
                                             member}) ==
              (std::isnan(v) ? "(error) ERR resulting score is not a number "
                               "(NaN)"
                             : ScoreText(v)));
  }
  void show(std::ostream& os) const override {
    os << "ZINCRBY " << key << " " << incr << " " << member;
  }
};

struct ZRemCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  std::string member = *GenMember();
  void apply(Model& m) const override {
    auto it = m.find(key);
    if (it == m.end()) return;
    it->second.erase(member);
    if (it->second.empty()) m.erase(it);
  }
  void run(const Model& m, EngineHarness& h) const override {
    RC_ASSERT(h.Run(std::vector<std::string>{"ZREM", key, member}) ==
              absl::StrCat("(integer) ", Get(m, key).count(member)));
  }
  void show(std::ostream& os) const override {
    os << "ZREM " << key << " " << member;
  }
};

// Reads everything back: ZRANGE WITHSCORES, ZRANK/ZREVRANK/ZSCORE of each
// member, ZCARD, and a random rank range in both directions.
struct ZReadCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  int64_t start = *rc::gen::inRange<int64_t>(-8, 8);
  int64_t end = *rc::gen::inRange<int64_t>(-8, 8);
  void run(const Model& m, EngineHarness& h) const override {
    ZModel z = Get(m, key);
    auto v = Ordered(z);
    std::vector<std::string> all;
    for (size_t i = 0; i < v.size(); ++i) {
      all.push_back(v[i].second);
      all.push_back(ScoreText(v[i].first));
      RC_ASSERT(h.Run(std::vector<std::string>{"ZRANK", key, v[i].second}) ==
                absl::StrCat("(integer) ", i));
      RC_ASSERT(h.Run(std::vector<std::string>{"ZREVRANK", key, v[i].second}) ==
                absl::StrCat("(integer) ", v.size() - 1 - i));
      RC_ASSERT(h.Run(std::vector<std::string>{"ZSCORE", key, v[i].second}) ==
                ScoreText(v[i].first));
    }
    RC_ASSERT(h.Run(std::vector<std::string>{"ZRANGE", key, "0", "-1",
                                             "WITHSCORES"}) ==
              absl::StrCat("[", absl::StrJoin(all, ", "), "]"));
    RC_ASSERT(h.Run(std::vector<std::string>{"ZCARD", key}) ==
              absl::StrCat("(integer) ", v.size()));
    // Rank range by Redis's index rules.
    const int64_t n = static_cast<int64_t>(v.size());
    int64_t s = start < 0 ? start + n : start;
    int64_t e = end < 0 ? end + n : end;
    if (s < 0) s = 0;
    if (e >= n) e = n - 1;
    std::vector<std::string> fwd, rev;
    for (int64_t i = s; i <= e && s < n; ++i) {
      fwd.push_back(v[i].second);
      rev.push_back(v[n - 1 - i].second);
    }
    RC_ASSERT(h.Run(std::vector<std::string>{"ZRANGE", key, absl::StrCat(start),
                                             absl::StrCat(end)}) ==
              absl::StrCat("[", absl::StrJoin(fwd, ", "), "]"));
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "ZREVRANGE", key, absl::StrCat(start), absl::StrCat(end)}) ==
              absl::StrCat("[", absl::StrJoin(rev, ", "), "]"));
  }
  void show(std::ostream& os) const override {
    os << "READ " << key << " " << start << " " << end;
  }
};

// Score ranges: ZRANGEBYSCORE (with LIMIT), ZREVRANGEBYSCORE, ZCOUNT, and
// optionally ZREMRANGEBYSCORE.
struct ZScoreRangeCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  double min = *GenScore();
  double max = *GenScore();
  bool min_ex = *rc::gen::arbitrary<bool>();
  bool max_ex = *rc::gen::arbitrary<bool>();
  int64_t offset = *rc::gen::inRange<int64_t>(0, 3);
  int64_t limit = *rc::gen::inRange<int64_t>(-1, 4);
  bool remove = *rc::gen::weightedElement<bool>({{1, true}, {4, false}});

  bool In(double s) const {
    return (min_ex ? s > min : s >= min) && (max_ex ? s < max : s <= max);
  }
  std::string Bound(double d, bool ex) const {
    return absl::StrCat(ex ? "(" : "", ScoreText(d));
  }
  void apply(Model& m) const override {
    if (!remove) return;
    auto it = m.find(key);
    if (it == m.end()) return;
    for (auto i = it->second.begin(); i != it->second.end();) {
      i = In(i->second) ? it->second.erase(i) : std::next(i);
    }
    if (it->second.empty()) m.erase(it);
  }
  void run(const Model& m, EngineHarness& h) const override {
    auto v = Ordered(Get(m, key));
    std::vector<std::string> in;
    for (const auto& [s, mem] : v) {
      if (In(s)) in.push_back(mem);
    }
    const std::string lo = Bound(min, min_ex), hi = Bound(max, max_ex);
    if (remove) {
      RC_ASSERT(
          h.Run(std::vector<std::string>{"ZREMRANGEBYSCORE", key, lo, hi}) ==
          absl::StrCat("(integer) ", in.size()));
      return;
    }
    RC_ASSERT(h.Run(std::vector<std::string>{"ZCOUNT", key, lo, hi}) ==
              absl::StrCat("(integer) ", in.size()));
    auto window = [&](std::vector<std::string> all) {
      std::vector<std::string> out;
      for (size_t i = offset; i < all.size(); ++i) {
        if (limit >= 0 && out.size() >= static_cast<size_t>(limit)) break;
        out.push_back(all[i]);
      }
      return absl::StrCat("[", absl::StrJoin(out, ", "), "]");
    };
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "ZRANGEBYSCORE", key, lo, hi, "LIMIT", absl::StrCat(offset),
                  absl::StrCat(limit)}) == window(in));
    std::vector<std::string> rin(in.rbegin(), in.rend());
    RC_ASSERT(h.Run(std::vector<std::string>{
                  "ZRANGE", key, hi, lo, "BYSCORE", "REV", "LIMIT",
                  absl::StrCat(offset), absl::StrCat(limit)}) == window(rin));
  }
  void show(std::ostream& os) const override {
    os << (remove ? "ZREMRANGEBYSCORE " : "SCORERANGE ") << key << " "
       << Bound(min, min_ex) << " " << Bound(max, max_ex) << " LIMIT " << offset
       << " " << limit;
  }
};

// ZUNIONSTORE / ZINTERSTORE into the other key, with weights and an
// aggregate.
struct ZStoreCmd : rc::state::Command<Model, EngineHarness> {
  bool inter = *rc::gen::arbitrary<bool>();
  std::string dst = *GenKey();
  double w1 = *rc::gen::elementOf(std::vector<double>{1, 2, -1, 0});
  double w2 = *rc::gen::elementOf(std::vector<double>{1, 0.5, -3});
  int agg = *rc::gen::inRange(0, 3);
  ZModel Result(const Model& m) const {
    ZModel a = Get(m, "a"), b = Get(m, "b"), out;
    auto weighted = [](double w, double s) {
      double v = w * s;
      return std::isnan(v) ? 0.0 : v;
    };
    auto combine = [&](double x, double y) {
      if (agg == 1) return std::min(x, y);
      if (agg == 2) return std::max(x, y);
      double v = x + y;
      return std::isnan(v) ? 0.0 : v;
    };
    for (const auto& [mem, s] : a) {
      auto it = b.find(mem);
      if (it != b.end()) {
        out[mem] = combine(weighted(w1, s), weighted(w2, it->second));
      } else if (!inter) {
        out[mem] = weighted(w1, s);
      }
    }
    if (!inter) {
      for (const auto& [mem, s] : b) {
        if (!a.count(mem)) out[mem] = weighted(w2, s);
      }
    }
    for (auto& [mem, s] : out) {
      if (s == 0) s = 0;  // stored -0 reads back as 0
    }
    return out;
  }
  void apply(Model& m) const override {
    ZModel r = Result(m);
    if (r.empty()) {
      m.erase(dst);
    } else {
      m[dst] = r;
    }
  }
  void run(const Model& m, EngineHarness& h) const override {
    const char* aggs[] = {"SUM", "MIN", "MAX"};
    RC_ASSERT(h.Run(std::vector<std::string>{
                  inter ? "ZINTERSTORE" : "ZUNIONSTORE", dst, "2", "a", "b",
                  "WEIGHTS", ScoreText(w1), ScoreText(w2), "AGGREGATE",
                  aggs[agg]}) == absl::StrCat("(integer) ", Result(m).size()));
  }
  void show(std::ostream& os) const override {
    os << (inter ? "ZINTERSTORE " : "ZUNIONSTORE ") << dst << " 2 a b WEIGHTS "
       << w1 << " " << w2 << " AGGREGATE " << agg;
  }
};

struct ZPopCmd : rc::state::Command<Model, EngineHarness> {
  std::string key = *GenKey();
  bool max = *rc::gen::arbitrary<bool>();
  int count = *rc::gen::inRange(1, 4);
  void apply(Model& m) const override {
    auto it = m.find(key);
    if (it == m.end()) return;
    auto v = Ordered(it->second);
    for (int i = 0; i < count && i < static_cast<int>(v.size()); ++i) {
      it->second.erase(max ? v[v.size() - 1 - i].second : v[i].second);
    }
    if (it->second.empty()) m.erase(it);
  }
  void run(const Model& m, EngineHarness& h) const override {
    auto v = Ordered(Get(m, key));
    std::vector<std::string> want;
    for (int i = 0; i < count && i < static_cast<int>(v.size()); ++i) {
      const auto& e = max ? v[v.size() - 1 - i] : v[i];
      want.push_back(e.second);
      want.push_back(ScoreText(e.first));
    }
    RC_ASSERT(h.Run(std::vector<std::string>{max ? "ZPOPMAX" : "ZPOPMIN", key,
                                             absl::StrCat(count)}) ==
              absl::StrCat("[", absl::StrJoin(want, ", "), "]"));
  }
  void show(std::ostream& os) const override {
    os << (max ? "ZPOPMAX " : "ZPOPMIN ") << key << " " << count;
  }
};

RC_GTEST_PROP(ZSetStateMachine, AgreesWithMapModel, ()) {
  Model model;
  EngineHarness h(Register);
  rc::state::check(
      model, h,
      rc::state::gen::execOneOfWithArgs<ZAddCmd, ZIncrByCmd, ZRemCmd, ZReadCmd,
                                        ZScoreRangeCmd, ZStoreCmd, ZPopCmd>());
}

// Lex ranges against the model: all members share one score.
RC_GTEST_PROP(ZSetLexProperty, LexCommandsAgreeWithSortedMembers, ()) {
  EngineHarness h(Register);
  std::set<std::string> members =
      *rc::gen::container<std::set<std::string>>(GenMember());
  std::vector<std::string> args = {"ZADD", "z"};
  for (const std::string& m : members) {
    args.push_back("0");
    args.push_back(m);
  }
  if (args.size() > 2) h.Run(args);
  auto gen_bound = rc::gen::oneOf(
      rc::gen::just(std::string("-")), rc::gen::just(std::string("+")),
      rc::gen::map(GenMember(), [](std::string m) { return "[" + m; }),
      rc::gen::map(GenMember(), [](std::string m) { return "(" + m; }));
  const std::string lo = *gen_bound, hi = *gen_bound;
  auto above = [&](const std::string& m) {
    if (lo == "-") return true;
    if (lo == "+") return false;
    return lo[0] == '[' ? m >= lo.substr(1) : m > lo.substr(1);
  };
  auto below = [&](const std::string& m) {
    if (hi == "+") return true;
    if (hi == "-") return false;
    return hi[0] == '[' ? m <= hi.substr(1) : m < hi.substr(1);
  };
  std::vector<std::string> in;
  for (const std::string& m : members) {
    if (above(m) && below(m)) in.push_back(m);
  }
  RC_ASSERT(h.Run(std::vector<std::string>{"ZLEXCOUNT", "z", lo, hi}) ==
            absl::StrCat("(integer) ", in.size()));
  RC_ASSERT(h.Run(std::vector<std::string>{"ZRANGEBYLEX", "z", lo, hi}) ==
            absl::StrCat("[", absl::StrJoin(in, ", "), "]"));
  std::vector<std::string> rin(in.rbegin(), in.rend());
  RC_ASSERT(h.Run(std::vector<std::string>{"ZREVRANGEBYLEX", "z", hi, lo}) ==
            absl::StrCat("[", absl::StrJoin(rin, ", "), "]"));
  RC_ASSERT(h.Run(std::vector<std::string>{"ZREMRANGEBYLEX", "z", lo, hi}) ==
            absl::StrCat("(integer) ", in.size()));
  RC_ASSERT(h.Run(std::vector<std::string>{"ZCARD", "z"}) ==
            absl::StrCat("(integer) ", members.size() - in.size()));
}

}  // namespace
}  // namespace twinkv
