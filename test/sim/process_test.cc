// Processes on simulated nodes (sim/world.h): boot, crash (kill and power
// cut), restart from disk, and what a dying process can no longer do.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/mem_files.h"
#include "sim/network.h"
#include "sim/world.h"

namespace twinkv::sim {
namespace {

using ::testing::ElementsAre;

// Counts its boots in a file, durably; ticks a timer; keeps a log.
class Counter final : public Process {
 public:
  Counter(Node& node, std::vector<std::string>* log) : node_(node), log_(log) {
    FileSystem& fs = node.files();
    uint64_t boots = 0;
    if (auto f = fs.Open("/boots", OpenMode::kRead); f.ok()) {
      char buf[32];
      auto n = (*f)->ReadAt(0, absl::MakeSpan(buf));
      if (n.ok()) (void)absl::SimpleAtoi(absl::string_view(buf, *n), &boots);
    }
    ++boots;
    {
      auto f = fs.Open("/boots.tmp", OpenMode::kTruncate);
      (void)(*f)->Append(absl::StrCat(boots));
      (void)(*f)->Sync();
      (void)fs.Rename("/boots.tmp", "/boots");
      (void)fs.SyncDir("/");
    }
    log_->push_back(absl::StrCat("boot ", boots));
    Tick();
  }
  ~Counter() override { log_->push_back("destroyed"); }

 private:
  void Tick() {
    node_.executor().Schedule(absl::Seconds(1), [this] {
      log_->push_back(absl::StrCat("tick ", absl::ToInt64Seconds(node_.world().now())));
      Tick();
    });
  }
  Node& node_;
  std::vector<std::string>* log_;
};

TEST(ProcessTest, BootCrashAndRestartFromDisk) {
  std::vector<std::string> log;  // outlives the world and its processes
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  n.SetBoot([&](Node& node) { return std::make_unique<Counter>(node, &log); });
  EXPECT_EQ(n.process(), nullptr);
  n.Boot();
  ASSERT_NE(n.process_as<Counter>(), nullptr);
  n.Boot();  // already up: nothing
  world.RunFor(absl::Milliseconds(2500));
  n.Crash(CrashKind::kKill);
  EXPECT_FALSE(n.up());
  EXPECT_TRUE(n.powered());
  EXPECT_EQ(n.process(), nullptr);
  world.RunFor(absl::Seconds(5));  // no ticks from the dead
  n.Boot();
  world.RunFor(absl::Milliseconds(1500));
  n.Crash(CrashKind::kPowerCut);
  EXPECT_FALSE(n.powered());
  n.BootAfter(absl::Seconds(1));
  world.RunFor(absl::Seconds(1));
  EXPECT_TRUE(n.up());
  EXPECT_THAT(log, ElementsAre("boot 1", "tick 1", "tick 2", "destroyed", "boot 2",
                               "tick 8", "destroyed", "boot 3"));
  EXPECT_EQ(n.boots(), 3);
  EXPECT_EQ(n.crashes(), 2);
}

// Tries everything in its destructor.
class Noisy final : public Process {
 public:
  Noisy(Node& node, std::unique_ptr<Stream>* peer_out, bool* ran)
      : node_(node), ran_(ran) {
    auto f = node.files().Open("/log", OpenMode::kAppend);
    file_ = std::move(*f);
    (void)file_->Append("alive;");
    auto l = node.network().Listen({"", 80}, [this](std::unique_ptr<Stream> s) {
      stream_ = std::move(s);
    });
    listener_ = std::move(*l);
    (void)peer_out;
  }
  ~Noisy() override {
    if (stream_) stream_->Write("goodbye", [this](NetError) { *ran_ = true; });
    (void)file_->Append("goodbye;");
    node_.executor().Post([this] { *ran_ = true; });
    node_.executor().Schedule(absl::Milliseconds(1), [this] { *ran_ = true; });
    node_.network().Connect({"other", 80}, absl::Seconds(1),
                            [this](NetError, std::unique_ptr<Stream>) { *ran_ = true; });
  }
  std::unique_ptr<Stream> stream_;

 private:
  Node& node_;
  bool* ran_;
  std::unique_ptr<File> file_;
  std::unique_ptr<Listener> listener_;
};

class ProcessCrash : public ::testing::TestWithParam<CrashKind> {};

TEST_P(ProcessCrash, DestructorCanSendWriteOrScheduleNothing) {
  World world(2);
  Node& server = world.AddNode("server", "10.0.0.1");
  Node& other = world.AddNode("other", "10.0.0.2");
  bool ran = false;
  server.SetBoot([&](Node& n) { return std::make_unique<Noisy>(n, nullptr, &ran); });
  server.Boot();
  std::unique_ptr<Stream> client;
  other.network().Connect({"server", 80}, absl::Seconds(1),
                          [&](NetError e, std::unique_ptr<Stream> s) { client = std::move(s); });
  world.RunUntilIdle();
  ASSERT_NE(client, nullptr);
  int accepted = 0;
  auto l = other.network().Listen({"", 80}, [&](std::unique_ptr<Stream>) { ++accepted; });
  std::string got;
  NetError end = NetError::kOk;
  char buf[64];
  std::function<void()> read = [&] {
    client->Read(absl::MakeSpan(buf), [&](NetError e, size_t n) {
      if (e != NetError::kOk) {
        end = e;
        return;
      }
      got.append(buf, n);
      read();
    });
  };
  read();
  server.Crash(GetParam());
  world.RunFor(absl::Minutes(10));
  EXPECT_FALSE(ran);
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(got, "");
  server.mem_files().InvalidateHandles();
  auto f = server.files().Open("/log", OpenMode::kRead);
  if (f.ok()) {
    char b[64];
    auto n = (*f)->ReadAt(0, absl::MakeSpan(b));
    ASSERT_TRUE(n.ok());
    EXPECT_THAT(std::string(b, *n), ::testing::Not(::testing::HasSubstr("goodbye")));
  }
  // A kill closes the socket; a power cut says nothing (the client, idle,
  // learns by keepalive).
  EXPECT_EQ(end, GetParam() == CrashKind::kKill ? NetError::kClosed : NetError::kTimedOut);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ProcessCrash,
                         ::testing::Values(CrashKind::kKill, CrashKind::kPowerCut),
                         [](const auto& info) {
                           return info.param == CrashKind::kKill ? std::string("Kill")
                                                                 : std::string("PowerCut");
                         });

TEST(ProcessTest, PowerCutLosesUnsyncedDataKillDoesNot) {
  for (CrashKind kind : {CrashKind::kKill, CrashKind::kPowerCut}) {
    int lost = 0;
    for (uint64_t seed = 0; seed < 50; ++seed) {
      World world(seed);
      Node& n = world.AddNode("n", "10.0.0.1");
      {
        auto f = n.files().Open("/f", OpenMode::kAppend);
        ASSERT_TRUE(n.files().SyncDir("/").ok());
        ASSERT_TRUE((*f)->Append("synced;").ok());
        ASSERT_TRUE((*f)->Sync().ok());
        ASSERT_TRUE((*f)->Append("unsynced").ok());
      }
      n.Crash(kind);
      n.Boot();
      auto f = n.files().Open("/f", OpenMode::kRead);
      ASSERT_TRUE(f.ok());
      char buf[64];
      auto size = (*f)->ReadAt(0, absl::MakeSpan(buf));
      std::string content(buf, *size);
      ASSERT_EQ(content.substr(0, 7), "synced;");
      lost += content != "synced;unsynced";
    }
    if (kind == CrashKind::kKill) {
      EXPECT_EQ(lost, 0);
    } else {
      EXPECT_GT(lost, 10);
    }
  }
}

TEST(ProcessTest, NodeWithoutBootFunctionCanCrashAndPowerOn) {
  World world(1);
  Node& n = world.AddNode("n", "10.0.0.1");
  bool ran = false;
  n.executor().Schedule(absl::Seconds(1), [&] { ran = true; });
  n.Crash(CrashKind::kPowerCut);
  n.executor().Post([&] { ran = true; });  // dropped: nobody runs
  world.RunFor(absl::Seconds(2));
  EXPECT_FALSE(ran);
  n.Boot();
  EXPECT_TRUE(n.up());
  n.executor().Post([&] { ran = true; });
  world.RunUntilIdle();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace twinkv::sim
