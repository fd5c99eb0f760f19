#include "ethovid/core/duckdb_handle.hpp"

#include <utility>

namespace ethovid::core::duck {

namespace {

void set_option(duckdb_config config, const char* name, const std::string& value) {
  if (duckdb_set_config(config, name, value.c_str()) == DuckDBError) {
    duckdb_destroy_config(&config);
    throw Failure(std::string("DuckDB rejected setting ") + name + " = '" + value + "'");
  }
}

struct SourceInfo {
  std::vector<std::string> names;
  std::vector<LogicalType> types;
  ChunkSource* source;
};

void delete_source_info(void* info) { delete static_cast<SourceInfo*>(info); }

void bind_source(duckdb_bind_info info) {
  const auto* source = static_cast<const SourceInfo*>(duckdb_bind_get_extra_info(info));
  for (std::size_t i = 0; i < source->names.size(); ++i) {
    duckdb_bind_add_result_column(info, source->names[i].c_str(), source->types[i].get());
  }
}

void init_source(duckdb_init_info info) {
  // One thread keeps the rows in order (a C API table function has no batch index).
  duckdb_init_set_max_threads(info, 1);
}

void run_source(duckdb_function_info info, duckdb_data_chunk output) {
  auto* source = static_cast<SourceInfo*>(duckdb_function_get_extra_info(info));
  // Exceptions must not cross DuckDB's C frames; they become the query's error instead.
  try {
    duckdb_data_chunk_set_size(output, source->source->produce(output));
  } catch (const std::exception& e) {
    duckdb_function_set_error(info, e.what());
  } catch (...) {
    duckdb_function_set_error(info, "unknown error while producing rows");
  }
}

}  // namespace

Database::Database(const std::string& path, const Options& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError)
    throw Failure("could not create a DuckDB config");
  set_option(config, "threads", std::to_string(options.threads < 1 ? 1 : options.threads));
  if (!options.memory_limit.empty()) set_option(config, "memory_limit", options.memory_limit);
  set_option(config, "temp_directory", options.temp_directory);
  // Nothing here may reach the network: Parquet support is compiled into libduckdb.
  set_option(config, "autoinstall_known_extensions", "false");
  char* error = nullptr;
  const duckdb_state state =
      duckdb_open_ext(path.empty() ? nullptr : path.c_str(), &db_, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    throw Failure("could not open DuckDB database: " + message);
  }
}

Database::~Database() {
  if (db_) duckdb_close(&db_);
}

LogicalType::~LogicalType() {
  if (type_) duckdb_destroy_logical_type(&type_);
}

LogicalType& LogicalType::operator=(LogicalType&& other) noexcept {
  if (this != &other) {
    if (type_) duckdb_destroy_logical_type(&type_);
    type_ = std::exchange(other.type_, nullptr);
  }
  return *this;
}

DataChunk::~DataChunk() {
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

DataChunk& DataChunk::operator=(DataChunk&& other) noexcept {
  if (this != &other) {
    if (chunk_) duckdb_destroy_data_chunk(&chunk_);
    chunk_ = std::exchange(other.chunk_, nullptr);
  }
  return *this;
}

Result::~Result() {
  if (owned_) duckdb_destroy_result(&result_);
  if (statement_) duckdb_destroy_prepare(&statement_);
}

Result::Result(Result&& other) noexcept
    : result_(other.result_),
      owned_(std::exchange(other.owned_, false)),
      statement_(std::exchange(other.statement_, nullptr)) {}

std::string Result::column_name(idx_t column) {
  const char* name = duckdb_column_name(&result_, column);
  return name ? name : "";
}

LogicalType Result::column_type(idx_t column) {
  return LogicalType(duckdb_column_logical_type(&result_, column));
}

DataChunk Result::fetch() {
  DataChunk chunk(duckdb_fetch_chunk(result_));
  if (!chunk) {
    const char* error = duckdb_result_error(&result_);
    if (error && *error) throw Failure(error);
  }
  return chunk;
}

Connection::Connection(const Database& db) {
  if (duckdb_connect(db.get(), &connection_) == DuckDBError) {
    throw Failure("could not connect to a DuckDB database");
  }
}

Connection::~Connection() {
  if (connection_) duckdb_disconnect(&connection_);
}

Result Connection::query(const std::string& sql) {
  Result result;
  const duckdb_state state = duckdb_query(connection_, sql.c_str(), &result.result_);
  result.owned_ = true;  // must be destroyed even when the query failed
  if (state == DuckDBError) {
    const char* error = duckdb_result_error(&result.result_);
    throw Failure(error ? error : "unknown DuckDB error");
  }
  return result;
}

namespace {

duckdb_prepared_statement prepare(duckdb_connection connection, const std::string& sql) {
  duckdb_prepared_statement statement = nullptr;
  if (duckdb_prepare(connection, sql.c_str(), &statement) == DuckDBError) {
    const char* error = duckdb_prepare_error(statement);
    std::string message = error ? error : "unknown DuckDB error";
    duckdb_destroy_prepare(&statement);
    throw Failure(message);
  }
  return statement;
}

}  // namespace

Result Connection::stream(const std::string& sql) {
  Result result;
  result.statement_ = prepare(connection_, sql);
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(result.statement_, &pending) == DuckDBError) {
    const char* error = duckdb_pending_error(pending);
    std::string message = error ? error : "unknown DuckDB error";
    duckdb_destroy_pending(&pending);
    throw Failure(message);
  }
  const duckdb_state state = duckdb_execute_pending(pending, &result.result_);
  result.owned_ = true;
  duckdb_destroy_pending(&pending);
  if (state == DuckDBError) {
    const char* error = duckdb_result_error(&result.result_);
    throw Failure(error ? error : "unknown DuckDB error");
  }
  return result;
}

Connection::Shape Connection::describe(const std::string& sql) {
  duckdb_prepared_statement statement = prepare(connection_, sql);
  Shape shape;
  const idx_t count = duckdb_prepared_statement_column_count(statement);
  for (idx_t i = 0; i < count; ++i) {
    // This name, unlike a result's, is the caller's to free.
    const char* name = duckdb_prepared_statement_column_name(statement, i);
    shape.names.emplace_back(name ? name : "");
    if (name) duckdb_free(const_cast<char*>(name));
    shape.types.emplace_back(duckdb_prepared_statement_column_logical_type(statement, i));
  }
  duckdb_destroy_prepare(&statement);
  return shape;
}

void register_source(const Connection& connection, const std::string& name,
                     const std::vector<std::string>& names, std::vector<LogicalType> types,
                     ChunkSource* source) {
  auto* info = new SourceInfo{names, std::move(types), source};
  duckdb_table_function function = duckdb_create_table_function();
  duckdb_table_function_set_name(function, name.c_str());
  duckdb_table_function_set_extra_info(function, info, delete_source_info);
  duckdb_table_function_set_bind(function, bind_source);
  duckdb_table_function_set_init(function, init_source);
  duckdb_table_function_set_function(function, run_source);
  const duckdb_state state = duckdb_register_table_function(connection.get(), function);
  duckdb_destroy_table_function(&function);  // the catalog keeps its own copy (and `info`)
  if (state == DuckDBError) throw Failure("could not register table function " + name);
}

std::string quote_identifier(std::string_view name) {
  if (name.find('\0') != std::string_view::npos) {
    throw Failure("identifier contains a NUL byte");
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string glob_literal(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

std::string quote_string(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) throw Failure("string contains a NUL byte");
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string first_line(std::string_view message) {
  const std::size_t end = message.find('\n');
  std::string line(message.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace ethovid::core::duck
