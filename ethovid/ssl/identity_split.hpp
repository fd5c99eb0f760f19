#pragma once
// `ethovid ssl split` (issue 13 §1): identities (not images) into train and test, so that the
// encoder is evaluated on people it never saw.
//
// An identity is a (source, identity_id) pair: two sources' "17" are different people. Each goes
// to train or test by its place in an order keyed on a hash of (seed, source, identity_id): the
// same seed gives the same split on any machine, and adding a source does not move the
// identities of the others. round(train_ratio x identities) of them are train.
//
// Outputs in `out_dir`: identity_splits.parquet (source, identity_id, split = "train" | "test"),
// and with `materialize` the shards' rows by split and source, train/<source>/part.parquet and
// test/<source>/part.parquet (zstd), each written under a temporary name and renamed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ethovid::ssl {

struct SplitOptions {
  std::vector<std::string> globs;  // shard files, e.g. data/digiface1m_*.parquet
  std::filesystem::path out_dir;
  double train_ratio = 0.75;  // (0, 1)
  std::uint64_t seed = 42;
  bool materialize = true;
};

struct SplitResult {
  std::int64_t train_identities = 0, test_identities = 0;
  std::int64_t train_images = 0, test_images = 0;  // counted when materialized
  std::filesystem::path splits;                    // identity_splits.parquet
  std::vector<std::filesystem::path> parts;        // materialized files
};

// MissingInputError naming a glob that matches no file; FormatError when the shards lack
// source or identity_id; ConfigError for a ratio outside (0, 1) or no glob.
SplitResult split_identities(const SplitOptions& options);

}  // namespace ethovid::ssl
