#include "ethovid/ssl/shard_pack.hpp"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"

namespace ethovid::ssl {

namespace fs = std::filesystem;
namespace duck = core::duck;

namespace {

constexpr std::size_t kExamples = 10;

bool image_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp" || e == ".webp" || e == ".tif" ||
         e == ".tiff";
}

std::string read_bytes(const fs::path& p) {
  std::string bytes;
  if (FILE* f = std::fopen(p.c_str(), "rb")) {
    char buffer[1 << 16];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, f)) bytes.append(buffer, n);
    std::fclose(f);
  }
  return bytes;
}

// Collects rows and writes a shard whenever one is full.
class ShardWriter {
 public:
  ShardWriter(const PackOptions& o, PackResult& result) : o_(o), result_(result) {}

  void add(std::string identity, std::string filename, std::string bytes, bool pseudo) {
    const std::string where = identity + "/" + filename;
    if (bytes.empty()) return unreadable(where, "empty");
    const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1, bytes.data());
    if (cv::imdecode(encoded, cv::IMREAD_UNCHANGED).empty())
      return unreadable(where, "does not decode");
    if (identities_.insert(identity).second && pseudo) ++result_.pseudo_identities;
    bytes_ += static_cast<std::int64_t>(bytes.size());
    identity_.push_back(std::move(identity));
    filename_.push_back(std::move(filename));
    image_.push_back(std::move(bytes));
    pseudo_.push_back(pseudo);
    ++result_.images;
    if (static_cast<std::int64_t>(identity_.size()) >= o_.shard_rows || bytes_ >= o_.shard_bytes)
      flush();
  }

  void unreadable(const std::string& where, const std::string& why) {
    ++result_.unreadable;
    if (result_.unreadable_examples.size() < kExamples)
      result_.unreadable_examples.push_back(where + ": " + why);
  }

  void flush() {
    if (identity_.empty()) return;
    core::Table t;
    const std::size_t n = identity_.size();
    t.add(core::Column::string("identity_id", std::move(identity_)));
    t.add(core::Column::string("image_filename", std::move(filename_)));
    t.add(core::Column::blob("image_bytes", std::move(image_)));
    t.add(core::Column::string("source", std::vector<std::string>(n, o_.source_name)));
    t.add(core::Column::boolean("pseudo_identity", std::move(pseudo_)));
    char name[64];
    std::snprintf(name, sizeof name, "_%05zu.parquet", result_.shards.size());
    const fs::path path = o_.output / (o_.source_name + name);
    core::write_parquet(t, path);
    result_.shards.push_back(path);
    identity_.clear(), filename_.clear(), image_.clear(), pseudo_.clear();
    bytes_ = 0;
  }

  void finish() {
    flush();
    result_.identities = static_cast<std::int64_t>(identities_.size());
    // Shards of an earlier, longer run of this source would read as part of this one.
    const std::string prefix = o_.source_name + "_";
    for (const auto& e : fs::directory_iterator(o_.output)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0 || e.path().extension() != ".parquet") continue;
      if (std::find(result_.shards.begin(), result_.shards.end(), e.path()) ==
          result_.shards.end()) {
        fs::remove(e.path());
      }
    }
  }

 private:
  const PackOptions& o_;
  PackResult& result_;
  std::vector<std::string> identity_, filename_, image_;
  std::vector<std::int8_t> pseudo_;
  std::int64_t bytes_ = 0;
  std::set<std::string> identities_;
};

// Every image in the folders directly under `root`, in name order (the same shards every time).
void pack_tree(const fs::path& root, const std::string& prefix, bool pseudo, ShardWriter& out) {
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) folders.push_back(e.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const fs::path& folder : folders) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder)) {
      if (e.is_regular_file() && image_extension(e.path())) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      out.add(prefix + folder.filename().string(), file.filename().string(), read_bytes(file),
              pseudo);
    }
  }
}

std::string text(duckdb_vector vector, idx_t row) {
  const auto* strings = static_cast<const duckdb_string_t*>(duckdb_vector_get_data(vector));
  duckdb_string_t s = strings[row];
  return std::string(duckdb_string_t_data(&s), duckdb_string_t_length(s));
}

bool valid(duckdb_vector vector, idx_t row) {
  uint64_t* mask = duckdb_vector_get_validity(vector);
  return !mask || duckdb_validity_row_is_valid(mask, row);
}

// A Parquet source in either layout, streamed chunk by chunk.
void pack_parquet(const fs::path& file, ShardWriter& out) {
  duck::Database db("", {});
  duck::Connection connection(db);
  const std::string src =
      "read_parquet(" + duck::quote_string(duck::glob_literal(fs::absolute(file).string())) + ")";
  std::set<std::string> columns;
  try {
    for (const std::string& name : connection.describe("SELECT * FROM " + src).names)
      columns.insert(name);
  } catch (const duck::Failure& e) {
    throw FormatError(file.string() + ": not a Parquet file (" + duck::first_line(e.what()) + ")");
  }
  std::string sql;
  if (columns.count("identity_id") && columns.count("image_filename") &&
      columns.count("image_bytes")) {
    sql =
        "SELECT CAST(identity_id AS VARCHAR), CAST(image_filename AS VARCHAR), CAST(image_bytes AS "
        "BLOB) FROM " +
        src;
  } else if (columns.count("image") && columns.count("label")) {
    sql =
        "SELECT CAST(label AS VARCHAR), CAST(image.path AS VARCHAR), CAST(image.bytes AS BLOB) "
        "FROM " +
        src;
  } else {
    throw FormatError(file.string() +
                      ": neither identity_id, image_filename, image_bytes nor image {bytes, path} "
                      "with label");
  }
  try {
    duck::Result result = connection.stream(sql);
    std::int64_t row_number = 0;
    while (duck::DataChunk chunk = result.fetch()) {
      for (idx_t i = 0; i < chunk.size(); ++i, ++row_number) {
        const std::string identity = valid(chunk.vector(0), i) ? text(chunk.vector(0), i) : "";
        std::string name = valid(chunk.vector(1), i) ? text(chunk.vector(1), i) : "";
        if (name.empty()) name = file.filename().string() + "#" + std::to_string(row_number);
        if (identity.empty()) {
          out.unreadable(file.filename().string() + " row " + std::to_string(row_number),
                         "no identity");
          continue;
        }
        out.add(identity, name, valid(chunk.vector(2), i) ? text(chunk.vector(2), i) : "", false);
      }
    }
  } catch (const duck::Failure& e) {
    throw FormatError(file.string() + ": " + duck::first_line(e.what()));
  }
}

}  // namespace

PackResult pack_shards(const PackOptions& o) {
  if (o.sources.empty()) throw ConfigError("ssl pack: give at least one source");
  if (o.source_name.empty() ||
      !std::all_of(o.source_name.begin(), o.source_name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
      })) {
    throw ConfigError("ssl pack: --source-name '" + o.source_name +
                      "' must be letters, digits, '.', '_' or '-'");
  }
  if (o.shard_rows < 1 || o.shard_bytes < 1)
    throw ConfigError("ssl pack: shard sizes must be >= 1");
  for (const fs::path& s : o.sources) {
    if (!fs::exists(s)) throw MissingInputError(s.string() + ": source not found");
  }
  fs::create_directories(o.output);
  PackResult result;
  ShardWriter out(o, result);
  for (const fs::path& s : o.sources) {
    if (fs::is_directory(s)) {
      if (fs::exists(s / "faces.jsonl") && fs::is_directory(s / "crops")) {
        pack_tree(s / "crops", fs::absolute(s).lexically_normal().filename().string() + "/track_",
                  true, out);
      } else {
        pack_tree(s, "", false, out);
      }
    } else {
      pack_parquet(s, out);
    }
  }
  out.finish();
  return result;
}

}  // namespace ethovid::ssl
