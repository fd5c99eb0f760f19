#pragma once
// Column-wise tables and their Parquet files (zstd), through DuckDB's C API. Files are written
// under a temporary name and renamed, so a crash never leaves a half-written table. Floating
// point NaN is stored as NaN (pandas/polars read it as missing); a column's validity mask, when
// given, stores NULLs.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::core {

enum class ColumnType {
  kFloat64,    // DOUBLE
  kFloat32,    // FLOAT
  kInt64,      // BIGINT
  kInt8,       // TINYINT
  kBool,       // BOOLEAN (stored in i8 as 0/1)
  kString,     // VARCHAR
  kFloatList,  // FLOAT[list_size], a fixed-size list (e.g. an embedding); f32 holds rows*list_size
  // TIMESTAMP WITH TIME ZONE: an instant, microseconds since 1970-01-01 00:00:00 UTC, in i64.
  // Parquet stores it as INT64 TIMESTAMP(MICROS, isAdjustedToUTC = true), which DuckDB reads as
  // TIMESTAMPTZ and pandas/polars as a UTC datetime. A plain TIMESTAMP (no zone) is not read as
  // this type: its instant is unknown.
  kTimestampUtc,
  kBlob,  // BLOB: bytes held in `str` (an encoded image, ...)
};

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kFloat64;
  int list_size = 0;  // only for kFloatList
};

struct Column {
  ColumnSpec spec;
  std::vector<double> f64;          // kFloat64
  std::vector<float> f32;           // kFloat32, kFloatList (row-major, rows * list_size)
  std::vector<std::int64_t> i64;    // kInt64, kTimestampUtc (µs since the epoch, UTC)
  std::vector<std::int8_t> i8;      // kInt8, kBool
  std::vector<std::string> str;     // kString, kBlob
  std::vector<std::uint8_t> valid;  // empty = every row valid; else 1 valid / 0 NULL per row

  std::size_t rows() const;
  const std::string& name() const { return spec.name; }

  static Column float64(std::string name, std::vector<double> values);
  static Column float32(std::string name, std::vector<float> values);
  static Column int64(std::string name, std::vector<std::int64_t> values);
  static Column int8(std::string name, std::vector<std::int8_t> values);
  static Column boolean(std::string name, std::vector<std::int8_t> values);
  static Column string(std::string name, std::vector<std::string> values);
  static Column blob(std::string name, std::vector<std::string> bytes);
  static Column float_list(std::string name, int list_size, std::vector<float> flat_values);
  static Column timestamp_utc(std::string name, std::vector<std::int64_t> micros_since_epoch);
};

class Table {
 public:
  // Adds a column; every column must have the same number of rows (asserted through a
  // FormatError naming both lengths).
  void add(Column column);
  bool has(const std::string& name) const;
  const Column& column(const std::string& name) const;  // FormatError when absent
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t rows() const { return columns_.empty() ? 0 : columns_.front().rows(); }
  std::vector<ColumnSpec> schema() const;

 private:
  std::vector<Column> columns_;
};

// Writes the whole table to `path` (zstd Parquet), atomically.
void write_parquet(const Table& table, const std::filesystem::path& path);

// Reads a Parquet file (ours or anyone's with supported column types). `columns`, when given,
// selects and orders columns; `max_rows`, when given, reads only the first rows (in file order).
// Unsupported column types are a ParquetFormatError naming them.
Table read_parquet(const std::filesystem::path& path,
                   const std::optional<std::vector<std::string>>& columns = std::nullopt,
                   std::optional<std::int64_t> max_rows = std::nullopt);

// Runs a DuckDB query (in a fresh in-memory database) and returns its result as a table, e.g.
// over many Parquet files at once: "SELECT ... FROM read_parquet('dir/*/*.parquet') ORDER BY ...".
// `what` names the input in errors. Result columns must have supported types (ParquetFormatError
// naming the column otherwise); a failing query is a ParquetFormatError with DuckDB's first line.
Table query_table(const std::string& sql, const std::string& what);

// Streams a table that is too large to hold in memory: batches of rows are appended as they are
// computed and spill to disk; close() writes the Parquet file under a temporary name and renames
// it. Destroying the writer without close() leaves no file behind.
class ParquetStreamWriter {
 public:
  ParquetStreamWriter(std::filesystem::path path, std::vector<ColumnSpec> schema);
  ~ParquetStreamWriter();
  ParquetStreamWriter(const ParquetStreamWriter&) = delete;
  ParquetStreamWriter& operator=(const ParquetStreamWriter&) = delete;

  void append(const Table& batch);  // batch schema must equal the writer's (FormatError if not)
  void close();
  std::int64_t rows_written() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ethovid::core
