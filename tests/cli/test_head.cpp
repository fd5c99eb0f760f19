// `ethovid head --schema`: every column of a table with its type, as Parquet readers name it.
#include <gtest/gtest.h>

#include "ethovid/core/table.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

TEST(Head, SchemaListsEveryColumnWithItsType) {
  test::ScratchDir dir;
  core::Table table;
  table.add(core::Column::string("recording", {"a", "b"}));
  table.add(core::Column::int64("frame", {0, 1}));
  for (int i = 0; i < 9; ++i) table.add(core::Column::float64("value_" + std::to_string(i), {0.5, 1.5}));
  core::write_parquet(table, dir / "t.parquet");
  const auto r = test::run_ethovid("head --schema '" + (dir / "t.parquet").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("recording  VARCHAR\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("frame      BIGINT\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("value_8    DOUBLE\n"), std::string::npos) << "all columns, not the first 8\n" << r.output;
  EXPECT_NE(r.output.find("(11 columns)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ethovid
