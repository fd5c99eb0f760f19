#pragma once
// Owning wrappers over DuckDB's C API handles, so an exception in the middle of a query still
// releases the database, connection, result and chunk in the right order. Failures
// throw duck::Failure carrying DuckDB's own message; callers turn it into a typed ethovid error
// that names their file (this layer knows no files).
#include <duckdb.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ethovid::core::duck {

class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message) : std::runtime_error(message) {}
};

struct Options {
  int threads = 1;
  std::string memory_limit;  // e.g. "256MB"; empty = DuckDB's default (80% of RAM)
  // Where DuckDB spills when over memory_limit. Empty disables spilling; DuckDB's own default
  // (".tmp" in the working directory) would write outside the caller's output folder.
  std::string temp_directory;
};

class Database {
 public:
  // `path` empty = an in-memory database; otherwise a database file (created when absent).
  Database(const std::string& path, const Options& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  duckdb_database get() const { return db_; }

 private:
  duckdb_database db_ = nullptr;
};

class LogicalType {
 public:
  explicit LogicalType(duckdb_logical_type type) : type_(type) {}
  ~LogicalType();
  LogicalType(LogicalType&& other) noexcept : type_(other.type_) { other.type_ = nullptr; }
  LogicalType& operator=(LogicalType&& other) noexcept;
  LogicalType(const LogicalType&) = delete;
  LogicalType& operator=(const LogicalType&) = delete;
  duckdb_logical_type get() const { return type_; }
  duckdb_type id() const { return duckdb_get_type_id(type_); }

 private:
  duckdb_logical_type type_;
};

class DataChunk {
 public:
  explicit DataChunk(duckdb_data_chunk chunk) : chunk_(chunk) {}
  ~DataChunk();
  DataChunk(DataChunk&& other) noexcept : chunk_(other.chunk_) { other.chunk_ = nullptr; }
  DataChunk& operator=(DataChunk&& other) noexcept;
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  duckdb_data_chunk get() const { return chunk_; }
  explicit operator bool() const { return chunk_ != nullptr; }
  idx_t size() const { return duckdb_data_chunk_get_size(chunk_); }
  duckdb_vector vector(idx_t column) const { return duckdb_data_chunk_get_vector(chunk_, column); }

 private:
  duckdb_data_chunk chunk_;
};

class Result {
 public:
  Result() = default;
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  duckdb_result* get() { return &result_; }

  idx_t column_count() { return duckdb_column_count(&result_); }
  std::string column_name(idx_t column);
  LogicalType column_type(idx_t column);
  // The next chunk (flat vectors), or an empty DataChunk at the end. Throws Failure when the
  // query fails while streaming.
  DataChunk fetch();

 private:
  friend class Connection;
  duckdb_result result_{};
  bool owned_ = false;
  // A streaming result reads through its statement, so the statement lives as long as it does.
  duckdb_prepared_statement statement_ = nullptr;
};

class Connection {
 public:
  explicit Connection(const Database& db);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  duckdb_connection get() const { return connection_; }

  // Runs `sql` to completion and materializes its (small) result.
  Result query(const std::string& sql);
  // Runs `sql` and streams its result chunk by chunk, so reading a large file never holds a
  // second full copy of it inside DuckDB.
  Result stream(const std::string& sql);
  // Column names and types a query would return, without running it.
  struct Shape {
    std::vector<std::string> names;
    std::vector<LogicalType> types;
  };
  Shape describe(const std::string& sql);

 private:
  duckdb_connection connection_ = nullptr;
};

// Rows that C++ code produces on demand, read by SQL as `SELECT * FROM name()` (typically inside
// COPY ... TO, so DuckDB pulls rows straight from our vectors into its Parquet writer without a
// table in between). DuckDB calls produce() from one thread at a time, in row order.
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // Fills rows [0, n) of `output` (at most duckdb_vector_size()) and returns n; 0 ends the rows.
  // An exception becomes the error of the query that is reading.
  virtual idx_t produce(duckdb_data_chunk output) = 0;
};

// Registers the table function `name` on the connection's database: columns (names[i],
// types[i]), rows from `source`, which must outlive every query that reads it.
void register_source(const Connection& connection, const std::string& name,
                     const std::vector<std::string>& names, std::vector<LogicalType> types,
                     ChunkSource* source);

// SQL text for an identifier ("a""b") and a string literal ('it''s'). Both reject NUL bytes,
// which the C API would silently truncate at.
std::string quote_identifier(std::string_view name);
std::string quote_string(std::string_view text);

// A path as a read_parquet() glob that matches only itself: DuckDB expands *, ? and [ in paths,
// and a bracketed character matches literally, so "run[1].parquet" reads itself, not "run1".
std::string glob_literal(std::string_view path);

// The first line of a DuckDB error (its later lines point into the SQL text, which means nothing
// to someone who never wrote that SQL).
std::string first_line(std::string_view message);

}  // namespace ethovid::core::duck
