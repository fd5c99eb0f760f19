// `ssl pack` (issue 13 §1): image trees, faces embed crops and both Parquet layouts into shards of
// a set size, with every byte of every image kept, unreadable images counted, and stale shards of
// an earlier run gone. The images are generated here.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/ssl/shard_pack.hpp"
#include "test_support.hpp"

namespace ethovid::ssl {
namespace {

namespace fs = std::filesystem;

std::string png(int seed) {
  cv::Mat image(24, 24, CV_8UC3, cv::Scalar(seed % 256, (seed * 7) % 256, (seed * 13) % 256));
  std::vector<unsigned char> bytes;
  cv::imencode(".png", image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

core::Table all_rows(const std::vector<fs::path>& shards) {
  core::Table out;
  std::vector<std::string> id, name, bytes, source;
  std::vector<std::int8_t> pseudo;
  for (const fs::path& s : shards) {
    const core::Table t = core::read_parquet(s);
    EXPECT_EQ(t.column("image_bytes").spec.type, core::ColumnType::kBlob);
    for (std::size_t i = 0; i < t.rows(); ++i) {
      id.push_back(t.column("identity_id").str[i]);
      name.push_back(t.column("image_filename").str[i]);
      bytes.push_back(t.column("image_bytes").str[i]);
      source.push_back(t.column("source").str[i]);
      pseudo.push_back(t.column("pseudo_identity").i8[i]);
    }
  }
  out.add(core::Column::string("identity_id", id));
  out.add(core::Column::string("image_filename", name));
  out.add(core::Column::blob("image_bytes", bytes));
  out.add(core::Column::string("source", source));
  out.add(core::Column::boolean("pseudo_identity", pseudo));
  return out;
}

TEST(SslPack, ImageTreesAndFaceCropsGoIntoShardsOfASetSize) {
  test::ScratchDir dir;
  // DigiFace-style tree: 3 identities x 4 images, one of them not an image at all.
  for (int id = 0; id < 3; ++id) {
    for (int n = 0; n < 4; ++n)
      write(dir / "digi" / std::to_string(id) / (std::to_string(n) + ".png"), png(id * 10 + n));
  }
  write(dir / "digi/1/broken.png", "not a png");
  // faces embed --save-crops output: two tracks.
  write(dir / "ep1/faces.jsonl", "{}\n");
  for (int track : {3, 7})
    write(dir / "ep1/crops" / std::to_string(track) / "frame_000001.jpg", png(100 + track));

  PackOptions o;
  o.sources = {dir / "digi", dir / "ep1"};
  o.output = dir / "shards";
  o.source_name = "mix";
  o.shard_rows = 5;
  const PackResult r = pack_shards(o);
  EXPECT_EQ(r.images, 14);
  EXPECT_EQ(r.unreadable, 1);
  ASSERT_EQ(r.unreadable_examples.size(), 1u);
  EXPECT_NE(r.unreadable_examples[0].find("1/broken.png"), std::string::npos)
      << r.unreadable_examples[0];
  EXPECT_EQ(r.identities, 5);
  EXPECT_EQ(r.pseudo_identities, 2);
  ASSERT_EQ(r.shards.size(), 3u) << "14 images in shards of 5";
  EXPECT_EQ(r.shards[0].filename(), "mix_00000.parquet");

  const core::Table t = all_rows(r.shards);
  ASSERT_EQ(t.rows(), 14u);
  EXPECT_EQ(t.column("identity_id").str[0], "0");
  EXPECT_EQ(t.column("image_filename").str[0], "0.png");
  EXPECT_EQ(t.column("image_bytes").str[0], png(0)) << "the file's bytes as they are";
  EXPECT_EQ(t.column("source").str[0], "mix");
  EXPECT_EQ(t.column("identity_id").str[12], "ep1/track_3");
  EXPECT_EQ(t.column("pseudo_identity").i8[12], 1);
  EXPECT_EQ(t.column("pseudo_identity").i8[0], 0);

  // A shorter run of the same source leaves no stale shard behind.
  o.sources = {dir / "ep1"};
  EXPECT_EQ(pack_shards(o).shards.size(), 1u);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "shards"))
    names.insert(e.path().filename().string());
  EXPECT_EQ(names, std::set<std::string>{"mix_00000.parquet"});
}

TEST(SslPack, BothParquetLayoutsAreRead) {
  test::ScratchDir dir;
  core::Table plain;
  plain.add(core::Column::string("identity_id", {"a", "a", "b"}));
  plain.add(core::Column::string("image_filename", {"1.png", "2.png", "1.png"}));
  plain.add(core::Column::blob("image_bytes", {png(1), png(2), "garbage"}));
  core::write_parquet(plain, dir / "plain.parquet");
  // Hugging Face's layout: image {bytes, path} and an integer label, written with DuckDB.
  core::write_parquet(plain, dir / "tmp.parquet");
  core::query_table(
      "COPY (SELECT {'bytes': image_bytes, 'path': image_filename} AS image, "
      "CASE identity_id WHEN 'a' THEN 7 ELSE 8 END AS label FROM read_parquet('" +
          (dir / "tmp.parquet").string() + "')) TO '" + (dir / "hf.parquet").string() +
          "' (FORMAT parquet)",
      "the test's Hugging Face file");
  PackOptions o;
  o.sources = {dir / "plain.parquet", dir / "hf.parquet"};
  o.output = dir / "shards";
  o.source_name = "pq";
  const PackResult r = pack_shards(o);
  EXPECT_EQ(r.images, 4);
  EXPECT_EQ(r.unreadable, 2);
  const core::Table t = all_rows(r.shards);
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(t.column("identity_id").str[2], "7");
  EXPECT_EQ(t.column("image_filename").str[2], "1.png");
  EXPECT_EQ(t.column("image_bytes").str[3], png(2));
}

TEST(SslPack, BadSourcesAndOptionsAreTypedErrors) {
  test::ScratchDir dir;
  PackOptions o;
  o.output = dir / "shards";
  o.source_name = "x";
  o.sources = {dir / "missing"};
  test::expect_error<MissingInputError>([&] { pack_shards(o); }, {"missing"});
  core::Table other;
  other.add(core::Column::string("name", {"n"}));
  core::write_parquet(other, dir / "other.parquet");
  o.sources = {dir / "other.parquet"};
  test::expect_error<FormatError>([&] { pack_shards(o); }, {"other.parquet", "identity_id"});
  o.source_name = "a/b";
  test::expect_error<ConfigError>([&] { pack_shards(o); }, {"a/b"});
}

}  // namespace
}  // namespace ethovid::ssl
