#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "absl/strings/str_cat.h"
#include "absl/container/flat_hash_map.h"
TEST(Smoke, Works) { absl::flat_hash_map<std::string,int> m; m["a"]=1; EXPECT_EQ(absl::StrCat("a", 1), "a1"); }
RC_GTEST_PROP(Smoke, Prop, (int a)) { RC_ASSERT(a + 0 == a); }
