#include "test/core/engine_test_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace twinkv {

std::string RenderReply(const Reply& reply) {
  switch (reply.type) {
    case Reply::Type::kStatus:
    case Reply::Type::kBulk:
    case Reply::Type::kVerbatim:
    case Reply::Type::kBigNumber:
    case Reply::Type::kDouble:
      return reply.str;
    case Reply::Type::kError:
      return absl::StrCat("(error) ", reply.str);
    case Reply::Type::kInteger:
      return absl::StrCat("(integer) ", reply.integer);
    case Reply::Type::kBool:
      return reply.integer ? "(true)" : "(false)";
    case Reply::Type::kNull:
      return "(nil)";
    case Reply::Type::kArray:
    case Reply::Type::kMap:
    case Reply::Type::kSet:
    case Reply::Type::kPush: {
      std::vector<std::string> parts;
      for (const Reply& e : reply.elements) parts.push_back(RenderReply(e));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
  }
  return "?";
}

EngineHarness::EngineHarness(
    absl::FunctionRef<void(CommandTable&)> register_families, Config config)
    : engine_(runtime_, std::move(config), register_families) {
  client_.id = 1;
  if (engine_.cluster() != nullptr) {
    router_ = std::make_unique<ClusterRouter>(runtime_, engine_);
  }
}

EngineHarness::~EngineHarness() = default;

std::string EngineHarness::Run(const std::vector<std::string>& args) {
  std::vector<absl::string_view> views(args.begin(), args.end());
  return RenderReply(RunReply(views));
}

std::string EngineHarness::RunRaw(const std::vector<absl::string_view>& args) {
  std::string out;
  ReplyWriter writer(&out, client_.protocol);
  engine_.Execute(client_, args, writer);
  return out;
}

Reply EngineHarness::RunReply(const std::vector<absl::string_view>& args) {
  std::string raw = RunRaw(args);
  ReplyDecoder decoder;
  Reply reply;
  auto result = decoder.Decode(raw, &reply);
  EXPECT_EQ(result, ReplyDecoder::kReply) << "undecodable reply: " << raw;
  EXPECT_EQ(decoder.consumed(), raw.size())
      << "a command wrote more than one reply: " << raw;
  return reply;
}

}  // namespace twinkv
