// AUTH, HELLO and RESET against the engine, with Redis 7.0's replies.

#include <string>

#include "core/config.h"
#include "core/engine.h"
#include "core/families.h"
#include "gtest/gtest.h"
#include "test/core/engine_test_util.h"

namespace twinkv {
namespace {

Config WithPassword(std::string password) {
  Config config;
  config.requirepass = std::move(password);
  return config;
}

TEST(AuthTest, NoPasswordConfigured) {
  EngineHarness h(RegisterAllFamilies);
  EXPECT_EQ(h.Run({"AUTH", "foo"}),
            "(error) ERR AUTH <password> called without any password "
            "configured for the default user. Are you sure your "
            "configuration is correct?");
  // The default user has no password: any password works for it.
  EXPECT_EQ(h.Run({"AUTH", "default", "anything"}), "OK");
  EXPECT_EQ(h.Run({"AUTH", "bob", "anything"}),
            "(error) WRONGPASS invalid username-password pair or user is "
            "disabled.");
  EXPECT_EQ(h.Run({"AUTH", "a", "b", "c"}), "(error) ERR syntax error");
  EXPECT_EQ(h.Run({"AUTH"}),
            "(error) ERR wrong number of arguments for 'auth' command");
}

TEST(AuthTest, RequirePassGatesCommands) {
  EngineHarness h(RegisterAllFamilies, WithPassword("secret"));
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(h.Run({"GET", "k"}), "(error) NOAUTH Authentication required.");
  // Unknown commands and wrong arity are checked before authentication.
  EXPECT_EQ(h.Run({"NOPE"}),
            "(error) ERR unknown command 'NOPE', with args beginning with: ");
  EXPECT_EQ(h.Run({"GET"}),
            "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(h.Run({"AUTH", "wrong"}),
            "(error) WRONGPASS invalid username-password pair or user is "
            "disabled.");
  EXPECT_FALSE(h.client().authenticated);
  EXPECT_EQ(h.Run({"AUTH", "secret"}), "OK");
  EXPECT_TRUE(h.client().authenticated);
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(h.Run({"GET", "k"}), "v");
}

TEST(AuthTest, AuthWithDefaultUser) {
  EngineHarness h(RegisterAllFamilies, WithPassword("pw"));
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"AUTH", "default", "nope"}),
            "(error) WRONGPASS invalid username-password pair or user is "
            "disabled.");
  EXPECT_EQ(h.Run({"AUTH", "someone", "pw"}),
            "(error) WRONGPASS invalid username-password pair or user is "
            "disabled.");
  EXPECT_EQ(h.Run({"AUTH", "default", "pw"}), "OK");
  EXPECT_EQ(h.Run({"PING"}), "PONG");
}

TEST(AuthTest, NoAuthInsideMultiDoomsExec) {
  EngineHarness h(RegisterAllFamilies, WithPassword("pw"));
  h.client().authenticated = false;
  // MULTI itself needs authentication.
  EXPECT_EQ(h.Run({"MULTI"}), "(error) NOAUTH Authentication required.");
}

TEST(AuthTest, HelloRepliesByProtocol) {
  EngineHarness h(RegisterAllFamilies);
  h.client().id = 42;
  EXPECT_EQ(h.Run({"HELLO"}),
            "[server, redis, version, 7.0.0, proto, (integer) 2, id, "
            "(integer) 42, mode, standalone, role, master, modules, []]");
  EXPECT_EQ(h.RunRaw({"HELLO", "2"}).substr(0, 4), "*14\r");
  const std::string resp3 = h.RunRaw({"HELLO", "3"});
  EXPECT_EQ(resp3.substr(0, 3), "%7\r");
  EXPECT_EQ(h.client().protocol, 3);
  EXPECT_EQ(h.Run({"HELLO", "4"}),
            "(error) NOPROTO unsupported protocol version");
  EXPECT_EQ(h.Run({"HELLO", "1"}),
            "(error) NOPROTO unsupported protocol version");
  EXPECT_EQ(h.Run({"HELLO", "abc"}),
            "(error) ERR Protocol version is not an integer or out of range");
  EXPECT_EQ(h.Run({"HELLO", "3", "foo"}),
            "(error) ERR Syntax error in HELLO option 'foo'");
  EXPECT_EQ(h.Run({"HELLO", "3", "SETNAME", "a b"}),
            "(error) ERR Client names cannot contain spaces, newlines or "
            "special characters.");
  EXPECT_EQ(h.client().protocol, 3);  // failures change nothing
  h.Run({"HELLO", "2", "SETNAME", "myname"});
  EXPECT_EQ(h.client().name, "myname");
  EXPECT_EQ(h.client().protocol, 2);
}

TEST(AuthTest, HelloAuthenticates) {
  EngineHarness h(RegisterAllFamilies, WithPassword("pw"));
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"HELLO", "2"}),
            "(error) NOAUTH HELLO must be called with the client already "
            "authenticated, otherwise the HELLO AUTH <user> <pass> option "
            "can be used to authenticate the client and select the RESP "
            "protocol version at the same time");
  EXPECT_EQ(h.Run({"HELLO", "3", "AUTH", "default", "bad"}),
            "(error) WRONGPASS invalid username-password pair or user is "
            "disabled.");
  EXPECT_EQ(h.client().protocol, 2);
  EXPECT_EQ(h.RunRaw({"HELLO", "3", "AUTH", "default", "pw"}).substr(0, 3),
            "%7\r");
  EXPECT_TRUE(h.client().authenticated);
  EXPECT_EQ(h.Run({"GET", "x"}), "(nil)");
}

TEST(AuthTest, ResetRestoresTheConnection) {
  EngineHarness h(RegisterAllFamilies, WithPassword("pw"));
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"AUTH", "pw"}), "OK");
  h.Run({"HELLO", "3", "SETNAME", "n"});
  EXPECT_EQ(h.Run({"SELECT", "3"}), "OK");
  EXPECT_EQ(h.Run({"WATCH", "w"}), "OK");
  EXPECT_EQ(h.Run({"MULTI"}), "OK");
  EXPECT_EQ(h.Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(h.engine().watched_keys(), 1u);
  // RESET runs inside MULTI (it is not queued) and discards it.
  EXPECT_EQ(h.Run({"RESET"}), "RESET");
  EXPECT_EQ(h.client().db_index, 0);
  EXPECT_EQ(h.client().protocol, 2);
  EXPECT_EQ(h.client().name, "");
  EXPECT_EQ(h.engine().watched_keys(), 0u);
  EXPECT_FALSE(h.client().txn != nullptr && h.client().txn->in_multi);
  EXPECT_FALSE(h.client().authenticated);
  EXPECT_EQ(h.Run({"EXEC"}), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(h.Run({"AUTH", "pw"}), "OK");
  EXPECT_EQ(h.Run({"EXEC"}), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(h.Run({"GET", "a"}), "(nil)");
}

TEST(AuthTest, ResetUnsubscribes) {
  EngineHarness h(RegisterAllFamilies);
  h.RunRaw({"SUBSCRIBE", "a", "b"});
  h.RunRaw({"PSUBSCRIBE", "p*"});
  EXPECT_EQ(h.client().subscriptions, 3u);
  EXPECT_EQ(h.Run({"RESET"}), "RESET");
  EXPECT_EQ(h.client().subscriptions, 0u);
  EXPECT_EQ(h.engine().pubsub().NumSub("a"), 0u);
  EXPECT_EQ(h.engine().pubsub().NumPat(), 0u);
  // Out of the subscribed context: any command runs again.
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "OK");
}

}  // namespace
}  // namespace twinkv
