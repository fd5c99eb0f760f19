#include "ethovid/ssl/identity_split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"

namespace ethovid::ssl {

namespace fs = std::filesystem;
namespace duck = core::duck;

namespace {

// 64-bit FNV-1a of the text, then splitmix64 with the seed: well mixed, and the same everywhere
// (std::hash and std::shuffle are not).
std::uint64_t identity_key(std::uint64_t seed, const std::string& source, const std::string& id) {
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator no byte of UTF-8 text is
  };
  mix(source);
  mix(id);
  std::uint64_t z = h + seed * 0x9e3779b97f4a7c15ull + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string shards_of(const std::vector<std::string>& globs) {
  std::string list;
  for (const std::string& g : globs) {
    list += (list.empty() ? "" : ", ") + duck::quote_string(fs::absolute(g).string());
  }
  return "read_parquet([" + list + "], union_by_name = true)";
}

}  // namespace

SplitResult split_identities(const SplitOptions& o) {
  if (o.globs.empty()) throw ConfigError("ssl split: give at least one --glob");
  if (!(o.train_ratio > 0 && o.train_ratio < 1)) {
    throw ConfigError("ssl split: --train-ratio must be in (0, 1), not " +
                      std::to_string(o.train_ratio));
  }
  duck::Database db("", {});
  duck::Connection connection(db);
  for (const std::string& g : o.globs) {  // each glob must match something, and name it if not
    try {
      connection.describe("SELECT * FROM read_parquet(" +
                          duck::quote_string(fs::absolute(g).string()) + ")");
    } catch (const duck::Failure& e) {
      throw MissingInputError("ssl split: --glob " + g + " matches no readable Parquet file (" +
                              duck::first_line(e.what()) + ")");
    }
  }
  const std::string shards = shards_of(o.globs);
  core::Table identities;
  try {
    identities = core::query_table(
        "SELECT DISTINCT CAST(source AS VARCHAR) AS source, CAST(identity_id AS VARCHAR) AS "
        "identity_id FROM " +
            shards + " ORDER BY 1, 2",
        "the shards of ssl split");
  } catch (const Error& e) {
    throw FormatError(std::string("ssl split: the shards need source and identity_id columns (") +
                      e.what() + ")");
  }
  const auto& source = identities.column("source").str;
  const auto& id = identities.column("identity_id").str;
  const std::size_t n = identities.rows();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::uint64_t> key(n);
  for (std::size_t i = 0; i < n; ++i) key[i] = identity_key(o.seed, source[i], id[i]);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return key[a] != key[b] ? key[a] < key[b] : a < b;
  });
  const auto train_count =
      static_cast<std::size_t>(std::llround(o.train_ratio * static_cast<double>(n)));
  std::vector<std::string> split(n);
  for (std::size_t rank = 0; rank < n; ++rank)
    split[order[rank]] = rank < train_count ? "train" : "test";

  SplitResult result;
  result.train_identities = static_cast<std::int64_t>(train_count);
  result.test_identities = static_cast<std::int64_t>(n - train_count);
  fs::create_directories(o.out_dir);
  core::Table table;
  table.add(core::Column::string("source", source));
  table.add(core::Column::string("identity_id", id));
  table.add(core::Column::string("split", split));
  result.splits = o.out_dir / "identity_splits.parquet";
  core::write_parquet(table, result.splits);
  if (!o.materialize) return result;

  const std::string splits_file =
      "read_parquet(" + duck::quote_string(fs::absolute(result.splits).string()) + ")";
  const std::vector<std::string> sources = [&] {
    std::vector<std::string> s(source.begin(), source.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    return s;
  }();
  for (const char* part : {"train", "test"}) {
    for (const std::string& src : sources) {
      const fs::path dest = o.out_dir / part / src / "part.parquet";
      fs::create_directories(dest.parent_path());
      core::write_atomically(dest, [&](const fs::path& temp) {
        const std::string sql =
            "COPY (SELECT s.* FROM " + shards + " s JOIN " + splits_file +
            " k ON CAST(s.source AS VARCHAR) = k.source AND CAST(s.identity_id AS VARCHAR) = "
            "k.identity_id WHERE k.split = " +
            duck::quote_string(part) + " AND k.source = " + duck::quote_string(src) + ") TO " +
            duck::quote_string(temp.string()) + " (FORMAT parquet, COMPRESSION zstd)";
        try {
          connection.query(sql);
        } catch (const duck::Failure& e) {
          throw FormatError("ssl split: writing " + dest.string() + " failed (" +
                            duck::first_line(e.what()) + ")");
        }
      });
      const core::Table count = core::query_table(
          "SELECT count(*) AS n FROM read_parquet(" + duck::quote_string(dest.string()) + ")",
          dest.string());
      (std::string(part) == "train" ? result.train_images : result.test_images) +=
          count.column("n").i64.front();
      result.parts.push_back(dest);
    }
  }
  return result;
}

}  // namespace ethovid::ssl
