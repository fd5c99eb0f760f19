#pragma once
// `ethovid ssl pack` (issue 13 §1): face images from the layouts face sets come in, streamed into
// zstd Parquet shards of a set size, the training input of the ssl stage.
//
// Sources (each SOURCE argument):
//   - an image tree with a folder per identity, `<identity>/<name>.png|jpg|...` (DigiFace-1M);
//   - the output folder of `faces embed --save-crops` (it holds faces.jsonl and
//     crops/<track_id>/frame_NNNNNN.jpg): each track is a pseudo-identity, named
//     `<folder>/track_<track_id>` and marked `pseudo_identity = true`;
//   - a Parquet file with `identity_id`, `image_filename`, `image_bytes`, or Hugging Face's
//     layout, an `image` struct {bytes, path} and a `label` column.
// Shards: `<output>/<source_name>_NNNNN.parquet`, columns identity_id (VARCHAR), image_filename
// (VARCHAR), image_bytes (BLOB, the file's bytes as they are), source (VARCHAR), pseudo_identity
// (BOOLEAN); each written atomically. Memory holds one shard's rows at most (`shard_rows` images
// or `shard_bytes`), whatever the sources' size. Images that do not decode are counted and
// reported (up to 10 named), never fatal.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ethovid::ssl {

struct PackOptions {
  std::vector<std::filesystem::path> sources;
  std::filesystem::path output;  // created when absent
  std::string source_name;       // letters, digits, '.', '_', '-'
  std::int64_t shard_rows = 10000;
  std::int64_t shard_bytes = 256ll << 20;
};

struct PackResult {
  std::int64_t images = 0;                       // packed
  std::int64_t unreadable = 0;                   // left out: not decodable, empty or NULL
  std::vector<std::string> unreadable_examples;  // "file: why", the first 10
  std::int64_t identities = 0;                   // distinct identity_id packed
  std::int64_t pseudo_identities = 0;
  std::vector<std::filesystem::path> shards;
};

// MissingInputError for a source that does not exist; FormatError naming a Parquet source whose
// columns match neither layout, or a folder that is none of the layouts; ConfigError for bad
// options. Shards already written by an earlier run with the same name are replaced.
PackResult pack_shards(const PackOptions& options);

}  // namespace ethovid::ssl
