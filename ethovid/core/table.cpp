#include "ethovid/core/table.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/scratch_files.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// DuckDB's own row group size; wide tables get fewer rows per group (see row_group_rows()).
constexpr std::size_t kMaxRowGroupRows = 122880;
// A Parquet row group is assembled in memory before it is written, so its size is what bounds
// the writer's memory, whatever the table's length. Measured on 1000 float columns: peak RSS of
// the stream writer is ~195 MB at 16 MB groups, ~330 MB at 64 MB.
constexpr std::size_t kTargetRowGroupBytes = 16u << 20;

// The stream writer queues at most this many bytes of batches ahead of the Parquet writer.
constexpr std::size_t kStreamQueueBytes = 32u << 20;

// The table function DuckDB's Parquet writer pulls rows from: COPY (SELECT * FROM ethovid_rows())
// TO ... . Pulling straight from our vectors avoids a DuckDB table in between, which would hold a
// second copy and, for wide tables, reserve a 256 KiB block per column that cannot spill.
constexpr const char* kSourceName = "ethovid_rows";

const char* type_label(ColumnType type) {
  switch (type) {
    case ColumnType::kFloat64:
      return "float64";
    case ColumnType::kFloat32:
      return "float32";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kInt8:
      return "int8";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kString:
      return "string";
    case ColumnType::kBlob:
      return "blob";
    case ColumnType::kFloatList:
      return "float list";
    case ColumnType::kTimestampUtc:
      return "timestamp utc";
  }
  return "?";
}

std::string spec_label(const ColumnSpec& spec) {
  std::string label = "'" + spec.name + "' (" + type_label(spec.type);
  if (spec.type == ColumnType::kFloatList) label += "[" + std::to_string(spec.list_size) + "]";
  return label + ")";
}

bool same_spec(const ColumnSpec& a, const ColumnSpec& b) {
  return a.name == b.name && a.type == b.type &&
         (a.type != ColumnType::kFloatList || a.list_size == b.list_size);
}

int modest_thread_count() {
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw, 1u, 4u));
}

// Checks that a column's storage agrees with its spec. `where` names the table or file.
void check_column(const Column& column, const std::string& where) {
  const ColumnSpec& spec = column.spec;
  if (spec.type == ColumnType::kFloatList) {
    if (spec.list_size <= 0) {
      throw FormatError(where + ": float list column '" + spec.name + "' has list_size " +
                        std::to_string(spec.list_size) + "; it must be positive");
    }
    if (column.f32.size() % static_cast<std::size_t>(spec.list_size) != 0) {
      throw FormatError(where + ": float list column '" + spec.name + "' holds " +
                        std::to_string(column.f32.size()) +
                        " values, not a multiple of list_size " + std::to_string(spec.list_size));
    }
  }
  if (!column.valid.empty() && column.valid.size() != column.rows()) {
    throw FormatError(where + ": column '" + spec.name + "' has " + std::to_string(column.rows()) +
                      " rows but a validity mask of " + std::to_string(column.valid.size()));
  }
}

std::string lower_ascii(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What DuckDB (and pandas, polars) can hold: at least one column, names distinct even ignoring
// case (DuckDB identifiers are case-insensitive), no NUL bytes.
void check_schema_for_write(const std::vector<ColumnSpec>& schema, const fs::path& path) {
  if (schema.empty()) {
    throw FormatError("cannot write " + path.string() +
                      ": a Parquet table needs at least one column");
  }
  for (std::size_t i = 0; i < schema.size(); ++i) {
    const ColumnSpec& spec = schema[i];
    if (spec.name.find('\0') != std::string::npos) {
      throw FormatError("cannot write " + path.string() + ": column " + std::to_string(i) +
                        " has a NUL byte in its name");
    }
    if (spec.type == ColumnType::kFloatList && spec.list_size <= 0) {
      throw FormatError("cannot write " + path.string() + ": float list column '" + spec.name +
                        "' has list_size " + std::to_string(spec.list_size));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (lower_ascii(schema[j].name) == lower_ascii(spec.name)) {
        throw FormatError("cannot write " + path.string() + ": columns " + std::to_string(j) +
                          " '" + schema[j].name + "' and " + std::to_string(i) + " '" + spec.name +
                          "' have the same name (Parquet readers ignore case)");
      }
    }
  }
}

duck::LogicalType logical_type(const ColumnSpec& spec) {
  switch (spec.type) {
    case ColumnType::kFloat64:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE));
    case ColumnType::kFloat32:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_FLOAT));
    case ColumnType::kInt64:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
    case ColumnType::kInt8:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_TINYINT));
    case ColumnType::kBool:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN));
    case ColumnType::kString:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
    case ColumnType::kBlob:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_BLOB));
    case ColumnType::kFloatList: {
      duck::LogicalType child(duckdb_create_logical_type(DUCKDB_TYPE_FLOAT));
      return duck::LogicalType(
          duckdb_create_array_type(child.get(), static_cast<idx_t>(spec.list_size)));
    }
    case ColumnType::kTimestampUtc:
      return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));
  }
  return duck::LogicalType(duckdb_create_logical_type(DUCKDB_TYPE_INVALID));
}

// Bytes one row occupies in memory; `string_bytes` is the average string payload seen so far.
std::size_t row_bytes(const std::vector<ColumnSpec>& schema, std::size_t string_bytes) {
  std::size_t bytes = 0;
  for (const ColumnSpec& spec : schema) {
    switch (spec.type) {
      case ColumnType::kFloat64:
      case ColumnType::kInt64:
      case ColumnType::kTimestampUtc:
        bytes += 8;
        break;
      case ColumnType::kFloat32:
        bytes += 4;
        break;
      case ColumnType::kInt8:
      case ColumnType::kBool:
        bytes += 1;
        break;
      case ColumnType::kString:
      case ColumnType::kBlob:
        bytes += 16 + string_bytes;
        break;
      case ColumnType::kFloatList:
        bytes += 4 * static_cast<std::size_t>(spec.list_size);
        break;
    }
  }
  return std::max<std::size_t>(bytes, 1);
}

std::size_t row_group_rows(std::size_t bytes_per_row) {
  const std::size_t vector = duckdb_vector_size();
  const std::size_t rows = kTargetRowGroupBytes / bytes_per_row;
  return std::clamp(rows / vector * vector, vector, kMaxRowGroupRows);
}

// Parquet stores FLOAT[n] as a plain list, so n is lost when no row shows it (no rows, or only
// NULL rows). A footer entry per such column, key kListSizePrefix + name, keeps it; other readers
// ignore it.
constexpr const char* kListSizePrefix = "ethovid.list_size:";

std::string copy_sql(const fs::path& temp, std::size_t group_rows,
                     const std::vector<ColumnSpec>& schema) {
  std::string metadata;
  for (const ColumnSpec& spec : schema) {
    if (spec.type != ColumnType::kFloatList) continue;
    if (!metadata.empty()) metadata += ", ";
    metadata += duck::quote_identifier(kListSizePrefix + spec.name);
    metadata += ": ";
    metadata += duck::quote_string(std::to_string(spec.list_size));
  }
  std::string sql = std::string("COPY (SELECT * FROM ") + kSourceName + "()) TO " +
                    duck::quote_string(temp.string()) +
                    " (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE " +
                    std::to_string(group_rows);
  if (!metadata.empty()) sql += ", KV_METADATA {" + metadata + "}";
  return sql + ")";
}

// Sets validity bits [at, at + n) of `vector` from mask[begin, begin + n), or all valid when the
// column has no mask. DuckDB may hand back a chunk that still carries NULL bits from an earlier
// call, so bits are written whenever a validity buffer exists.
void fill_validity(duckdb_vector vector, const std::vector<std::uint8_t>& mask, std::size_t begin,
                   idx_t at, idx_t n) {
  if (!mask.empty()) duckdb_vector_ensure_validity_writable(vector);
  std::uint64_t* bits = duckdb_vector_get_validity(vector);
  if (!bits) return;
  for (idx_t i = 0; i < n; ++i) {
    const idx_t row = at + i;
    const std::uint64_t bit = std::uint64_t{1} << (row % 64);
    if (mask.empty() || mask[begin + i]) {
      bits[row / 64] |= bit;
    } else {
      bits[row / 64] &= ~bit;
    }
  }
}

// Copies column rows [begin, begin + n) into rows [at, at + n) of a DuckDB vector.
void fill_vector(duckdb_vector vector, const Column& column, std::size_t begin, idx_t at, idx_t n) {
  if (n == 0) return;  // empty columns have no data pointer to copy from
  void* data = duckdb_vector_get_data(vector);
  switch (column.spec.type) {
    case ColumnType::kFloat64:
      std::memcpy(static_cast<double*>(data) + at, column.f64.data() + begin, n * sizeof(double));
      break;
    case ColumnType::kFloat32:
      std::memcpy(static_cast<float*>(data) + at, column.f32.data() + begin, n * sizeof(float));
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestampUtc:  // DuckDB's timestamp is one int64 of microseconds
      std::memcpy(static_cast<std::int64_t*>(data) + at, column.i64.data() + begin,
                  n * sizeof(std::int64_t));
      break;
    case ColumnType::kInt8:
      std::memcpy(static_cast<std::int8_t*>(data) + at, column.i8.data() + begin, n);
      break;
    case ColumnType::kBool: {
      bool* out = static_cast<bool*>(data) + at;
      for (idx_t i = 0; i < n; ++i) out[i] = column.i8[begin + i] != 0;
      break;
    }
    case ColumnType::kString:
    case ColumnType::kBlob:  // bytes as they are; DuckDB copies them
      for (idx_t i = 0; i < n; ++i) {
        if (!column.valid.empty() && !column.valid[begin + i]) continue;
        const std::string& s = column.str[begin + i];
        duckdb_vector_assign_string_element_len(vector, at + i, s.data(), s.size());
      }
      break;
    case ColumnType::kFloatList: {
      // An ARRAY's values live in one child vector, row-major, list_size per row: the same
      // layout as Column::f32, so a run of rows is one copy.
      const std::size_t size = static_cast<std::size_t>(column.spec.list_size);
      duckdb_vector values = duckdb_array_vector_get_child(vector);
      float* child = static_cast<float*>(duckdb_vector_get_data(values));
      std::memcpy(child + at * size, column.f32.data() + begin * size, n * size * sizeof(float));
      break;
    }
  }
  fill_validity(vector, column.valid, begin, at, n);
}

// Bytes a batch holds, to bound how much the stream writer queues.
std::size_t table_bytes(const Table& table) {
  std::size_t bytes = 0;
  for (const Column& column : table.columns()) {
    bytes += column.f64.size() * 8 + column.f32.size() * 4 + column.i64.size() * 8 +
             column.i8.size() + column.valid.size();
    for (const std::string& s : column.str) bytes += sizeof(std::string) + s.size();
  }
  return bytes;
}

std::size_t string_payload_per_row(const Table& table) {
  std::size_t bytes = 0;
  std::size_t strings = 0;
  for (const Column& column : table.columns()) {
    if (column.spec.type != ColumnType::kString && column.spec.type != ColumnType::kBlob) continue;
    for (const std::string& s : column.str) bytes += s.size();
    strings += column.str.size();
  }
  return strings ? bytes / strings : 0;
}

void register_rows(const duck::Connection& connection, const std::vector<ColumnSpec>& schema,
                   duck::ChunkSource* source) {
  std::vector<std::string> names;
  std::vector<duck::LogicalType> types;
  for (const ColumnSpec& spec : schema) {
    names.push_back(spec.name);
    types.push_back(logical_type(spec));
  }
  duck::register_source(connection, kSourceName, names, std::move(types), source);
}

// One whole table, a vector-sized chunk per call.
class TableSource : public duck::ChunkSource {
 public:
  explicit TableSource(const Table& table) : table_(table) {}

  idx_t produce(duckdb_data_chunk output) override {
    const idx_t n = std::min<std::size_t>(duckdb_vector_size(), table_.rows() - next_);
    for (std::size_t c = 0; c < table_.columns().size(); ++c) {
      fill_vector(duckdb_data_chunk_get_vector(output, c), table_.columns()[c], next_, 0, n);
    }
    next_ += n;
    return n;
  }

 private:
  const Table& table_;
  std::size_t next_ = 0;
};

// Batches handed from append() (the caller's thread) to the COPY running on the writer's thread.
// At most max_bytes wait at a time, so a fast producer blocks rather than filling memory.
class BatchQueue : public duck::ChunkSource {
 public:
  explicit BatchQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Blocks while the queue is full. False once the consumer has stopped (its error says why).
  bool push(Table batch) {
    const std::size_t bytes = table_bytes(batch);
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
      return stopped_ || queued_bytes_ == 0 || queued_bytes_ + bytes <= max_bytes_;
    });
    if (stopped_) return false;
    queue_.push_back({std::move(batch), bytes});
    queued_bytes_ += bytes;
    changed_.notify_all();
    return true;
  }

  void finish() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }

  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

  // Called by the consumer when its query has ended, successfully or not.
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    changed_.notify_all();
  }

  // Fills a chunk from as many queued batches as fit; returns a partial chunk rather than wait
  // when the queue runs dry, and waits only when it has nothing at all.
  idx_t produce(duckdb_data_chunk output) override {
    const idx_t capacity = duckdb_vector_size();
    idx_t filled = 0;
    while (filled < capacity) {
      if (cursor_ >= current_.table.rows()) {
        std::unique_lock lock(mutex_);
        queued_bytes_ -= current_.bytes;
        current_ = {};
        cursor_ = 0;
        changed_.notify_all();
        if (filled > 0 && queue_.empty()) break;
        changed_.wait(lock, [&] { return aborted_ || finished_ || !queue_.empty(); });
        if (aborted_) throw std::runtime_error("the stream writer was destroyed before close()");
        if (queue_.empty()) break;  // finished
        current_ = std::move(queue_.front());
        queue_.pop_front();
        continue;
      }
      const idx_t n = std::min<std::size_t>(capacity - filled, current_.table.rows() - cursor_);
      for (std::size_t c = 0; c < current_.table.columns().size(); ++c) {
        fill_vector(duckdb_data_chunk_get_vector(output, c), current_.table.columns()[c], cursor_,
                    filled, n);
      }
      cursor_ += n;
      filled += n;
    }
    return filled;
  }

 private:
  struct Batch {
    Table table;
    std::size_t bytes = 0;
  };
  const std::size_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;
  std::size_t queued_bytes_ = 0;  // includes the batch being read
  bool finished_ = false;
  bool aborted_ = false;
  bool stopped_ = false;
  Batch current_;  // touched only by the consumer
  std::size_t cursor_ = 0;
};

// ---- reading

// Appends one result column, chunk by chunk, into a Column of the matching ColumnType.
class ColumnReader {
 public:
  // `list_size` is an ARRAY's size; a LIST learns its size from its rows, and falls back on
  // `list_size_hint` (the size our writer recorded) only when no row shows it.
  ColumnReader(std::string name, duckdb_type source, ColumnType target, int list_size,
               int list_size_hint, bool is_list, const std::string& path)
      : source_(source), is_list_(is_list), list_size_hint_(list_size_hint), path_(path) {
    column_.spec.name = std::move(name);
    column_.spec.type = target;
    column_.spec.list_size = list_size;
  }

  void reserve(std::size_t rows) {
    switch (column_.spec.type) {
      case ColumnType::kFloat64:
        column_.f64.reserve(rows);
        break;
      case ColumnType::kFloat32:
        column_.f32.reserve(rows);
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestampUtc:
        column_.i64.reserve(rows);
        break;
      case ColumnType::kInt8:
      case ColumnType::kBool:
        column_.i8.reserve(rows);
        break;
      case ColumnType::kString:
      case ColumnType::kBlob:
        column_.str.reserve(rows);
        break;
      case ColumnType::kFloatList:
        column_.f32.reserve(rows * static_cast<std::size_t>(std::max(column_.spec.list_size, 0)));
        break;
    }
    expected_rows_ = rows;
  }

  void append(duckdb_vector vector, idx_t n) {
    const std::uint64_t* mask = duckdb_vector_get_validity(vector);
    auto valid = [mask](idx_t i) { return !mask || ((mask[i / 64] >> (i % 64)) & 1); };
    record_validity(mask, n, valid);
    const void* data = duckdb_vector_get_data(vector);
    switch (column_.spec.type) {
      case ColumnType::kFloat64:
        append_values(column_.f64, static_cast<const double*>(data), n, valid,
                      std::numeric_limits<double>::quiet_NaN());
        break;
      case ColumnType::kFloat32:
        append_values(column_.f32, static_cast<const float*>(data), n, valid, kNaN);
        break;
      case ColumnType::kInt8:
        append_values(column_.i8, static_cast<const std::int8_t*>(data), n, valid, std::int8_t{0});
        break;
      case ColumnType::kBool:
        for (idx_t i = 0; i < n; ++i) {
          column_.i8.push_back(valid(i) && static_cast<const bool*>(data)[i] ? 1 : 0);
        }
        break;
      case ColumnType::kInt64:
        append_integers(data, n, valid);
        break;
      case ColumnType::kTimestampUtc:
        static_assert(sizeof(duckdb_timestamp) == sizeof(std::int64_t));
        append_values(column_.i64, static_cast<const std::int64_t*>(data), n, valid,
                      std::int64_t{0});
        break;
      case ColumnType::kString:
      case ColumnType::kBlob: {
        const auto* strings = static_cast<const duckdb_string_t*>(data);
        for (idx_t i = 0; i < n; ++i) {
          if (!valid(i)) {
            column_.str.emplace_back();
            continue;
          }
          duckdb_string_t s = strings[i];
          column_.str.emplace_back(duckdb_string_t_data(&s), duckdb_string_t_length(s));
        }
        break;
      }
      case ColumnType::kFloatList:
        if (is_list_) {
          append_lists(vector, data, n, valid);
        } else {
          append_arrays(vector, n, valid);
        }
        break;
    }
    rows_ += n;
  }

  Column finish() {
    if (column_.spec.type == ColumnType::kFloatList && column_.spec.list_size == 0) {
      // No row said how long the lists are (no rows, or all NULL): use the recorded size, or
      // one NaN per row, which keeps the row count and the NULLs intact.
      column_.spec.list_size = list_size_hint_ > 0 ? list_size_hint_ : 1;
      column_.f32.assign(rows_ * static_cast<std::size_t>(column_.spec.list_size), kNaN);
    }
    return std::move(column_);
  }

 private:
  template <typename Valid>
  void record_validity(const std::uint64_t* mask, idx_t n, const Valid& valid) {
    if (mask && !has_nulls_) {
      bool any_null = false;
      for (idx_t i = 0; i < n && !any_null; ++i) any_null = !valid(i);
      if (!any_null) return;
      has_nulls_ = true;
      column_.valid.reserve(expected_rows_);
      column_.valid.assign(rows_, 1);  // every earlier row was valid
    }
    if (!has_nulls_) return;
    for (idx_t i = 0; i < n; ++i) column_.valid.push_back(valid(i) ? 1 : 0);
  }

  template <typename Out, typename In, typename Valid>
  static void append_values(std::vector<Out>& out, const In* in, idx_t n, const Valid& valid,
                            Out null_value) {
    const std::size_t start = out.size();
    out.insert(out.end(), in, in + n);
    for (idx_t i = 0; i < n; ++i) {
      if (!valid(i)) out[start + i] = null_value;
    }
  }

  template <typename Valid>
  void append_integers(const void* data, idx_t n, const Valid& valid) {
    std::vector<std::int64_t>& out = column_.i64;
    switch (source_) {
      case DUCKDB_TYPE_BIGINT:
        append_values(out, static_cast<const std::int64_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_INTEGER:
        append_values(out, static_cast<const std::int32_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_SMALLINT:
        append_values(out, static_cast<const std::int16_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_UTINYINT:
        append_values(out, static_cast<const std::uint8_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_USMALLINT:
        append_values(out, static_cast<const std::uint16_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_UINTEGER:
        append_values(out, static_cast<const std::uint32_t*>(data), n, valid, std::int64_t{0});
        break;
      case DUCKDB_TYPE_UBIGINT: {
        const auto* in = static_cast<const std::uint64_t*>(data);
        for (idx_t i = 0; i < n; ++i) {
          if (!valid(i)) {
            out.push_back(0);
            continue;
          }
          if (in[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            throw ParquetFormatError(path_ + ": column '" + column_.spec.name + "' row " +
                                     std::to_string(rows_ + i) + " holds " + std::to_string(in[i]) +
                                     ", more than int64 can hold");
          }
          out.push_back(static_cast<std::int64_t>(in[i]));
        }
        break;
      }
      default:
        break;  // the type was checked before reading
    }
  }

  // Copies `count` floats of a child vector, inner NULLs as NaN.
  static void copy_child(std::vector<float>& out, duckdb_vector child, std::size_t offset,
                         std::size_t count) {
    const auto* values = static_cast<const float*>(duckdb_vector_get_data(child));
    const std::uint64_t* mask = duckdb_vector_get_validity(child);
    const std::size_t start = out.size();
    out.insert(out.end(), values + offset, values + offset + count);
    if (!mask) return;
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t j = offset + k;
      if (!((mask[j / 64] >> (j % 64)) & 1)) out[start + k] = kNaN;
    }
  }

  template <typename Valid>
  void append_arrays(duckdb_vector vector, idx_t n, const Valid& valid) {
    const std::size_t size = static_cast<std::size_t>(column_.spec.list_size);
    duckdb_vector child = duckdb_array_vector_get_child(vector);
    for (idx_t i = 0; i < n; ++i) {
      if (valid(i)) {
        copy_child(column_.f32, child, i * size, size);
      } else {
        column_.f32.insert(column_.f32.end(), size, kNaN);
      }
    }
  }

  template <typename Valid>
  void append_lists(duckdb_vector vector, const void* data, idx_t n, const Valid& valid) {
    const auto* entries = static_cast<const duckdb_list_entry*>(data);
    duckdb_vector child = duckdb_list_vector_get_child(vector);
    std::size_t& size = list_size_;
    for (idx_t i = 0; i < n; ++i) {
      if (!valid(i)) {
        // Before the first non-NULL row the length is unknown; those rows are filled below.
        if (size) column_.f32.insert(column_.f32.end(), size, kNaN);
        continue;
      }
      const std::size_t length = entries[i].length;
      if (size == 0) {
        if (length == 0) {
          throw ParquetFormatError(path_ + ": list column '" + column_.spec.name + "' row " +
                                   std::to_string(rows_ + i) +
                                   " is an empty list; a float list column needs a fixed positive "
                                   "length");
        }
        size = length;
        column_.spec.list_size = static_cast<int>(length);
        column_.f32.reserve(expected_rows_ * size);
        column_.f32.assign((rows_ + i) * size, kNaN);  // the NULL rows before this one
      } else if (length != size) {
        throw ParquetFormatError(path_ + ": list column '" + column_.spec.name + "' has lists of " +
                                 std::to_string(size) + " and " + std::to_string(length) +
                                 " values (row " + std::to_string(rows_ + i) +
                                 "); only fixed-length float lists are supported");
      }
      copy_child(column_.f32, child, entries[i].offset, length);
    }
  }

  Column column_;
  duckdb_type source_;
  bool is_list_;
  int list_size_hint_;
  const std::string& path_;
  std::size_t rows_ = 0;
  std::size_t expected_rows_ = 0;
  std::size_t list_size_ = 0;
  bool has_nulls_ = false;  // `valid` is kept only once a NULL is seen
};

struct ReadPlan {
  ColumnType target;
  int array_size = 0;
  bool is_list = false;
  bool supported = true;
};

ReadPlan plan_for(const duck::LogicalType& type) {
  switch (type.id()) {
    case DUCKDB_TYPE_DOUBLE:
      return {ColumnType::kFloat64};
    case DUCKDB_TYPE_FLOAT:
      return {ColumnType::kFloat32};
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
      return {ColumnType::kInt64};
    case DUCKDB_TYPE_TINYINT:
      return {ColumnType::kInt8};
    case DUCKDB_TYPE_BOOLEAN:
      return {ColumnType::kBool};
    case DUCKDB_TYPE_VARCHAR:
      return {ColumnType::kString};
    case DUCKDB_TYPE_BLOB:
      return {ColumnType::kBlob};
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return {ColumnType::kTimestampUtc};
    case DUCKDB_TYPE_ARRAY: {
      duck::LogicalType child(duckdb_array_type_child_type(type.get()));
      if (child.id() != DUCKDB_TYPE_FLOAT) break;
      return {ColumnType::kFloatList, static_cast<int>(duckdb_array_type_array_size(type.get()))};
    }
    case DUCKDB_TYPE_LIST: {
      duck::LogicalType child(duckdb_list_type_child_type(type.get()));
      if (child.id() != DUCKDB_TYPE_FLOAT) break;
      return {ColumnType::kFloatList, 0, true};
    }
    default:
      break;
  }
  ReadPlan unsupported{ColumnType::kFloat64};
  unsupported.supported = false;
  return unsupported;
}

// The first row's first column of a VARCHAR query, or `fallback` when there is no row.
std::string first_value(duck::Connection& connection, const std::string& sql,
                        const std::string& fallback) {
  duck::Result result = connection.query(sql);
  duck::DataChunk chunk = result.fetch();
  if (!chunk || chunk.size() == 0) return fallback;
  const std::uint64_t* mask = duckdb_vector_get_validity(chunk.vector(0));
  if (mask && !(mask[0] & 1)) return fallback;
  duckdb_string_t value = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.vector(0)))[0];
  return std::string(duckdb_string_t_data(&value), duckdb_string_t_length(value));
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(names.size(), 20);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  if (shown < names.size()) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

}  // namespace

// ---- Column

std::size_t Column::rows() const {
  switch (spec.type) {
    case ColumnType::kFloat64:
      return f64.size();
    case ColumnType::kFloat32:
      return f32.size();
    case ColumnType::kInt64:
    case ColumnType::kTimestampUtc:
      return i64.size();
    case ColumnType::kInt8:
    case ColumnType::kBool:
      return i8.size();
    case ColumnType::kString:
    case ColumnType::kBlob:
      return str.size();
    case ColumnType::kFloatList:
      return spec.list_size > 0 ? f32.size() / static_cast<std::size_t>(spec.list_size) : 0;
  }
  return 0;
}

Column Column::float64(std::string name, std::vector<double> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kFloat64, 0};
  c.f64 = std::move(values);
  return c;
}

Column Column::float32(std::string name, std::vector<float> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kFloat32, 0};
  c.f32 = std::move(values);
  return c;
}

Column Column::int64(std::string name, std::vector<std::int64_t> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kInt64, 0};
  c.i64 = std::move(values);
  return c;
}

Column Column::int8(std::string name, std::vector<std::int8_t> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kInt8, 0};
  c.i8 = std::move(values);
  return c;
}

Column Column::boolean(std::string name, std::vector<std::int8_t> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kBool, 0};
  c.i8 = std::move(values);
  return c;
}

Column Column::string(std::string name, std::vector<std::string> values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kString, 0};
  c.str = std::move(values);
  return c;
}

Column Column::blob(std::string name, std::vector<std::string> bytes) {
  Column c;
  c.spec = {std::move(name), ColumnType::kBlob, 0};
  c.str = std::move(bytes);
  return c;
}

Column Column::float_list(std::string name, int list_size, std::vector<float> flat_values) {
  Column c;
  c.spec = {std::move(name), ColumnType::kFloatList, list_size};
  c.f32 = std::move(flat_values);
  check_column(c, "float_list");
  return c;
}

Column Column::timestamp_utc(std::string name, std::vector<std::int64_t> micros_since_epoch) {
  Column c;
  c.spec = {std::move(name), ColumnType::kTimestampUtc, 0};
  c.i64 = std::move(micros_since_epoch);
  return c;
}

// ---- Table

void Table::add(Column column) {
  check_column(column, "table");
  if (has(column.name())) {
    throw FormatError("table already has a column '" + column.name() + "'");
  }
  if (!columns_.empty() && column.rows() != rows()) {
    throw FormatError("column '" + column.name() + "' has " + std::to_string(column.rows()) +
                      " rows, but the table's column '" + columns_.front().name() + "' has " +
                      std::to_string(rows()));
  }
  columns_.push_back(std::move(column));
}

bool Table::has(const std::string& name) const {
  return std::any_of(columns_.begin(), columns_.end(),
                     [&](const Column& c) { return c.name() == name; });
}

const Column& Table::column(const std::string& name) const {
  for (const Column& c : columns_) {
    if (c.name() == name) return c;
  }
  std::vector<std::string> names;
  for (const Column& c : columns_) names.push_back(c.name());
  throw FormatError("table has no column '" + name + "' (it has: " + join_names(names) + ")");
}

std::vector<ColumnSpec> Table::schema() const {
  std::vector<ColumnSpec> specs;
  specs.reserve(columns_.size());
  for (const Column& c : columns_) specs.push_back(c.spec);
  return specs;
}

// ---- write_parquet

void write_parquet(const Table& table, const fs::path& path) {
  const std::vector<ColumnSpec> schema = table.schema();
  check_schema_for_write(schema, path);
  try {
    write_atomically(path, [&](const fs::path& temp) {
      const fs::path target = fs::absolute(temp);
      duck::Database db("", {modest_thread_count(), "", ""});
      duck::Connection connection(db);
      TableSource source(table);
      register_rows(connection, schema, &source);
      const std::size_t group = row_group_rows(row_bytes(schema, string_payload_per_row(table)));
      connection.query(copy_sql(target, group, schema));
    });
  } catch (const duck::Failure& e) {
    throw Error("could not write " + path.string() + ": " + duck::first_line(e.what()));
  } catch (const fs::filesystem_error& e) {
    throw Error("could not write " + path.string() + ": " + e.what());
  }
}

// ---- read_parquet

Table read_parquet(const fs::path& path, const std::optional<std::vector<std::string>>& columns,
                   std::optional<std::int64_t> max_rows) {
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw MissingInputError(name + " does not exist");
  if (fs::is_directory(status)) {
    throw ParquetFormatError(name + " is a directory, not a Parquet file");
  }
  const std::string literal = duck::quote_string(duck::glob_literal(fs::absolute(path).string()));
  // Without this, a folder named like "day=3" on the path would add a column "day".
  const std::string source = literal + ", hive_partitioning = false";
  Table table;
  try {
    duck::Database db("", {modest_thread_count(), "", ""});
    duck::Connection connection(db);
    // The footer alone answers this, and a file that is not Parquet fails here.
    std::size_t total_rows = static_cast<std::size_t>(std::stoll(first_value(
        connection, "SELECT count(*)::VARCHAR FROM read_parquet(" + source + ")", "0")));
    std::string limit;
    if (max_rows) {
      total_rows = std::min(total_rows, static_cast<std::size_t>(std::max<std::int64_t>(0, *max_rows)));
      limit = " LIMIT " + std::to_string(total_rows);
    }
    duck::Connection::Shape shape =
        connection.describe("SELECT * FROM read_parquet(" + source + ")");

    std::vector<std::size_t> picked;
    if (columns) {
      for (const std::string& wanted : *columns) {
        const auto it = std::find(shape.names.begin(), shape.names.end(), wanted);
        if (it == shape.names.end()) {
          throw FormatError(name + " has no column '" + wanted +
                            "' (it has: " + join_names(shape.names) + ")");
        }
        picked.push_back(static_cast<std::size_t>(it - shape.names.begin()));
      }
    } else {
      for (std::size_t i = 0; i < shape.names.size(); ++i) picked.push_back(i);
    }

    std::vector<ColumnReader> readers;
    readers.reserve(picked.size());
    std::string select;
    for (std::size_t index : picked) {
      const ReadPlan plan = plan_for(shape.types[index]);
      // DuckDB identifiers ignore case, so columns are selected by position, not by name.
      const std::string ref = "#" + std::to_string(index + 1);
      if (!plan.supported) {
        const std::string type_name =
            first_value(connection,
                        "SELECT column_type FROM (DESCRIBE SELECT " + ref + " FROM read_parquet(" +
                            source + "))",
                        "type id " + std::to_string(shape.types[index].id()));
        throw ParquetFormatError(name + ": column '" + shape.names[index] + "' has type " +
                                 type_name + ", which ethovid tables do not support");
      }
      int hint = 0;
      if (plan.is_list) {
        const std::string recorded =
            first_value(connection,
                        "SELECT value::VARCHAR FROM parquet_kv_metadata(" + literal +
                            ") WHERE key::VARCHAR = " +
                            duck::quote_string(kListSizePrefix + shape.names[index]),
                        "");
        hint = std::atoi(recorded.c_str());  // 0 when absent or malformed
      }
      readers.emplace_back(shape.names[index], shape.types[index].id(), plan.target,
                           plan.array_size, hint, plan.is_list, name);
      readers.back().reserve(total_rows);
      if (!select.empty()) select += ", ";
      select += ref;
    }
    if (!readers.empty()) {
      duck::Result result =
          connection.stream("SELECT " + select + " FROM read_parquet(" + source + ")" + limit);
      while (duck::DataChunk chunk = result.fetch()) {
        const idx_t n = chunk.size();
        for (std::size_t c = 0; c < readers.size(); ++c) readers[c].append(chunk.vector(c), n);
      }
    }
    for (ColumnReader& reader : readers) table.add(reader.finish());
  } catch (const duck::Failure& e) {
    throw ParquetFormatError(name +
                             " is not a readable Parquet file: " + duck::first_line(e.what()));
  }
  return table;
}

// ---- query_table

Table query_table(const std::string& sql, const std::string& what) {
  Table table;
  try {
    duck::Database db("", {modest_thread_count(), "", ""});
    duck::Connection connection(db);
    duck::Connection::Shape shape = connection.describe(sql);
    std::vector<ColumnReader> readers;
    readers.reserve(shape.names.size());
    for (std::size_t i = 0; i < shape.names.size(); ++i) {
      const ReadPlan plan = plan_for(shape.types[i]);
      if (!plan.supported) {
        throw ParquetFormatError(what + ": column '" + shape.names[i] + "' has DuckDB type id " +
                                 std::to_string(shape.types[i].id()) +
                                 ", which ethovid tables do not support");
      }
      readers.emplace_back(shape.names[i], shape.types[i].id(), plan.target, plan.array_size, 0,
                           plan.is_list, what);
    }
    duck::Result result = connection.stream(sql);
    while (duck::DataChunk chunk = result.fetch()) {
      const idx_t n = chunk.size();
      for (std::size_t c = 0; c < readers.size(); ++c) readers[c].append(chunk.vector(c), n);
    }
    for (ColumnReader& reader : readers) table.add(reader.finish());
  } catch (const duck::Failure& e) {
    throw ParquetFormatError(what + " could not be read: " + duck::first_line(e.what()));
  }
  return table;
}

// ---- ParquetStreamWriter

// One COPY runs on a thread of its own for the writer's whole life, pulling batches from the
// queue as append() delivers them, so rows go to the Parquet file once, as they come, and memory
// stays at the queue plus one row group whatever the table's length.
struct ParquetStreamWriter::State {
  fs::path path;
  fs::path temp;  // the Parquet file while it is being written
  std::unique_ptr<ScratchFile> scratch;  // an interrupt removes `temp`
  std::vector<ColumnSpec> schema;
  std::unique_ptr<duck::Database> db;
  std::unique_ptr<duck::Connection> connection;
  BatchQueue queue{kStreamQueueBytes};
  std::thread worker;
  std::string error;  // written by the worker before queue.stop()
  std::int64_t rows = 0;
  bool closed = false;

  // Ends the COPY (if it still runs) and releases DuckDB; the temporary file stays for close().
  void shut_down(bool abort) {
    if (worker.joinable()) {
      if (abort) {
        queue.abort();
      } else {
        queue.finish();
      }
      worker.join();
    }
    connection.reset();
    db.reset();
  }

  ~State() {
    shut_down(true);
    std::error_code ignored;
    if (!closed) fs::remove(temp, ignored);
  }
};

ParquetStreamWriter::ParquetStreamWriter(fs::path path, std::vector<ColumnSpec> schema)
    : state_(std::make_unique<State>()) {
  check_schema_for_write(schema, path);
  State& s = *state_;
  s.path = std::move(path);
  s.schema = std::move(schema);
  s.temp = fs::absolute(temp_path_for(s.path));
  s.scratch = std::make_unique<ScratchFile>(s.temp);
  // The COPY would only fail on its own thread, at the first append(); say it here instead.
  if (!fs::is_directory(s.temp.parent_path())) {
    throw Error("could not write " + s.path.string() + ": folder " + s.temp.parent_path().string() +
                " does not exist");
  }
  // Strings are not seen yet when the row group size is fixed; assume short labels.
  const std::size_t group = row_group_rows(row_bytes(s.schema, 32));
  try {
    s.db = std::make_unique<duck::Database>("", duck::Options{2, "", ""});
    s.connection = std::make_unique<duck::Connection>(*s.db);
    register_rows(*s.connection, s.schema, &s.queue);
  } catch (const duck::Failure& e) {
    throw Error("could not write " + s.path.string() + ": " + duck::first_line(e.what()));
  }
  s.worker = std::thread([&s, sql = copy_sql(s.temp, group, s.schema)] {
    try {
      s.connection->query(sql);
    } catch (const std::exception& e) {
      s.error = duck::first_line(e.what());
    }
    s.queue.stop();
  });
}

ParquetStreamWriter::~ParquetStreamWriter() = default;

void ParquetStreamWriter::append(const Table& batch) {
  State& s = *state_;
  if (s.closed) throw Error("cannot append to " + s.path.string() + ": the writer is closed");
  const std::vector<ColumnSpec> got = batch.schema();
  if (got.size() != s.schema.size()) {
    throw FormatError("batch for " + s.path.string() + " has " + std::to_string(got.size()) +
                      " columns, the writer's schema has " + std::to_string(s.schema.size()));
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!same_spec(got[i], s.schema[i])) {
      throw FormatError("batch for " + s.path.string() + ": column " + std::to_string(i) + " is " +
                        spec_label(got[i]) + ", the writer's schema has " +
                        spec_label(s.schema[i]));
    }
  }
  if (!s.queue.push(batch)) {
    throw Error("could not write " + s.path.string() + ": " + s.error);
  }
  s.rows += static_cast<std::int64_t>(batch.rows());
}

void ParquetStreamWriter::close() {
  State& s = *state_;
  if (s.closed) return;
  s.shut_down(false);
  s.closed = true;
  std::error_code ec;
  if (!s.error.empty()) {
    fs::remove(s.temp, ec);
    throw Error("could not write " + s.path.string() + ": " + s.error);
  }
  fs::rename(s.temp, s.path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(s.temp, ignored);
    throw Error("could not write " + s.path.string() + ": cannot rename " + s.temp.string() + " (" +
                ec.message() + ")");
  }
}

std::int64_t ParquetStreamWriter::rows_written() const { return state_->rows; }

}  // namespace ethovid::core
