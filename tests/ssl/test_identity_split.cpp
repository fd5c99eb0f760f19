// `ssl split` (issue 13 §1): identity-disjoint, the same for the same seed, the ratio kept, two
// sources' equal ids kept apart, and the materialized files holding every row once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/ssl/identity_split.hpp"
#include "test_support.hpp"

namespace ethovid::ssl {
namespace {

namespace fs = std::filesystem;

// `identities` identities x 3 images of source `name`, in two shards.
void shards(const test::ScratchDir& dir, const std::string& name, int identities) {
  for (int shard = 0; shard < 2; ++shard) {
    std::vector<std::string> id, file, bytes;
    for (int i = shard; i < identities; i += 2) {
      for (int n = 0; n < 3; ++n) {
        id.push_back(std::to_string(i));
        file.push_back(std::to_string(n) + ".png");
        bytes.push_back(name + std::to_string(i) + "/" + std::to_string(n));
      }
    }
    core::Table t;
    t.add(core::Column::string("identity_id", id));
    t.add(core::Column::string("image_filename", file));
    t.add(core::Column::blob("image_bytes", bytes));
    t.add(core::Column::string("source", std::vector<std::string>(id.size(), name)));
    fs::create_directories(dir / "data");
    core::write_parquet(t, dir / ("data/" + name + "_0000" + std::to_string(shard) + ".parquet"));
  }
}

std::map<std::string, std::string> split_of(const fs::path& file) {
  const core::Table t = core::read_parquet(file);
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    out[t.column("source").str[i] + "/" + t.column("identity_id").str[i]] =
        t.column("split").str[i];
  }
  return out;
}

TEST(SslSplit, IdentityDisjointSeededAndMaterialized) {
  test::ScratchDir dir;
  shards(dir, "digi", 40);
  shards(dir, "real", 20);  // the same ids "0".."19" as digi's: other people
  SplitOptions o;
  o.globs = {(dir / "data/digi_*.parquet").string(), (dir / "data/real_*.parquet").string()};
  o.out_dir = dir / "splits";
  const SplitResult r = split_identities(o);
  EXPECT_EQ(r.train_identities, 45);
  EXPECT_EQ(r.test_identities, 15);
  EXPECT_EQ(r.train_images + r.test_images, 180);
  EXPECT_EQ(r.train_images, 3 * 45);
  const auto first = split_of(r.splits);
  EXPECT_EQ(first.size(), 60u);

  // Every materialized row's identity is in its split, and no identity is in both.
  std::map<std::string, std::set<std::string>> seen;
  for (const fs::path& part : r.parts) {
    const std::string split = part.parent_path().parent_path().filename().string();
    const core::Table t = core::read_parquet(part);
    EXPECT_EQ(t.column("image_bytes").spec.type, core::ColumnType::kBlob);
    for (std::size_t i = 0; i < t.rows(); ++i) {
      const std::string key = t.column("source").str[i] + "/" + t.column("identity_id").str[i];
      EXPECT_EQ(first.at(key), split) << key;
      seen[key].insert(split);
    }
  }
  for (const auto& [key, splits] : seen) EXPECT_EQ(splits.size(), 1u) << key;
  EXPECT_TRUE(fs::exists(dir / "splits/train/digi/part.parquet"));
  EXPECT_TRUE(fs::exists(dir / "splits/test/real/part.parquet"));

  // The same seed gives the same split; another seed another one; without materializing only
  // the table is written.
  o.out_dir = dir / "again";
  o.materialize = false;
  const SplitResult again = split_identities(o);
  EXPECT_EQ(split_of(again.splits), first);
  EXPECT_TRUE(again.parts.empty());
  EXPECT_FALSE(fs::exists(dir / "again/train"));
  o.seed = 7;
  o.out_dir = dir / "other";
  EXPECT_NE(split_of(split_identities(o).splits), first);
}

TEST(SslSplit, BadGlobsAndRatiosAreTypedErrors) {
  test::ScratchDir dir;
  shards(dir, "digi", 4);
  SplitOptions o;
  o.out_dir = dir / "splits";
  o.globs = {(dir / "data/none_*.parquet").string()};
  test::expect_error<MissingInputError>([&] { split_identities(o); }, {"none_*.parquet"});
  o.globs = {(dir / "data/digi_*.parquet").string()};
  o.train_ratio = 1.0;
  test::expect_error<ConfigError>([&] { split_identities(o); }, {"--train-ratio", "(0, 1)"});
}

}  // namespace
}  // namespace ethovid::ssl
