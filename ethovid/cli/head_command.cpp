// `ethovid head TABLE`: the first rows of a Parquet table, as aligned text.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"

namespace ethovid::cli {

namespace {

std::string cell(const core::Column& c, std::size_t row) {
  if (!c.valid.empty() && !c.valid[row]) return "null";
  char buffer[64];
  switch (c.spec.type) {
    case core::ColumnType::kFloat64:
      std::snprintf(buffer, sizeof buffer, "%.6g", c.f64[row]);
      return buffer;
    case core::ColumnType::kFloat32:
      std::snprintf(buffer, sizeof buffer, "%.6g", c.f32[row]);
      return buffer;
    case core::ColumnType::kInt64: return std::to_string(c.i64[row]);
    case core::ColumnType::kInt8: return std::to_string(c.i8[row]);
    case core::ColumnType::kBool: return c.i8[row] ? "true" : "false";
    case core::ColumnType::kString: return c.str[row];
    case core::ColumnType::kBlob: return "<" + std::to_string(c.str[row].size()) + " bytes>";
    case core::ColumnType::kFloatList:
      return "[" + std::to_string(c.spec.list_size) + " floats]";
    case core::ColumnType::kTimestampUtc: {
      // ISO 8601 in UTC with microseconds, as DuckDB prints a TIMESTAMPTZ in a UTC session.
      const auto us = c.i64[row];
      const auto seconds = static_cast<std::time_t>(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
      std::tm tm{};
      gmtime_r(&seconds, &tm);
      char date[40];
      std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
      std::snprintf(buffer, sizeof buffer, "%s.%06lld+00", date, static_cast<long long>(us - seconds * 1000000LL));
      return buffer;
    }
  }
  return "?";
}

// The column's type as Parquet readers (DuckDB, pandas/pyarrow, polars) show it.
std::string type_name(const core::ColumnSpec& spec) {
  switch (spec.type) {
    case core::ColumnType::kFloat64: return "DOUBLE";
    case core::ColumnType::kFloat32: return "FLOAT";
    case core::ColumnType::kInt64: return "BIGINT";
    case core::ColumnType::kInt8: return "TINYINT";
    case core::ColumnType::kBool: return "BOOLEAN";
    case core::ColumnType::kString: return "VARCHAR";
    case core::ColumnType::kBlob: return "BLOB";
    case core::ColumnType::kFloatList: return "FLOAT[" + std::to_string(spec.list_size) + "]";
    case core::ColumnType::kTimestampUtc: return "TIMESTAMP WITH TIME ZONE";
  }
  return "?";
}

}  // namespace

void add_head_command(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("head", "Print the first rows of a Parquet table");
  struct Args {
    std::string table;
    std::size_t rows = 5;
    std::vector<std::string> columns;
    bool schema = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("TABLE", args->table, "Parquet file")->required()->type_name("FILE");
  cmd->add_option("-n,--rows", args->rows, "How many rows")->capture_default_str();
  cmd->add_option("-c,--columns", args->columns, "Columns to show (default: the first 8)")
      ->delimiter(',')
      ->type_name("COL,...");
  cmd->add_flag("--schema", args->schema, "List every column with its type instead of rows");
  cmd->callback([&run, args] {
    run = [args] {
      std::optional<std::vector<std::string>> selection;
      if (!args->columns.empty()) selection = args->columns;
      if (args->schema) {
        const core::Table table = core::read_parquet(args->table, selection, 1);
        std::size_t width = 0;
        for (const auto& c : table.columns()) width = std::max(width, c.name().size());
        for (const auto& c : table.columns()) {
          std::cout << c.name() << std::string(width + 2 - c.name().size(), ' ') << type_name(c.spec) << "\n";
        }
        std::cout << "(" << table.columns().size() << " columns)\n";
        return 0;
      }
      const core::Table table =
          core::read_parquet(args->table, selection, static_cast<std::int64_t>(args->rows));
      std::vector<const core::Column*> shown;
      for (const auto& c : table.columns()) {
        if (shown.size() < 8 || selection) shown.push_back(&c);
      }
      const std::size_t rows = std::min(args->rows, table.rows());
      std::vector<std::size_t> widths;
      for (const auto* c : shown) {
        std::size_t w = c->name().size();
        for (std::size_t r = 0; r < rows; ++r) w = std::max(w, cell(*c, r).size());
        widths.push_back(w);
      }
      auto pad = [](const std::string& s, std::size_t w) { return std::string(w - s.size(), ' ') + s; };
      for (std::size_t i = 0; i < shown.size(); ++i) std::cout << (i ? "  " : "") << pad(shown[i]->name(), widths[i]);
      std::cout << "\n";
      for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t i = 0; i < shown.size(); ++i) std::cout << (i ? "  " : "") << pad(cell(*shown[i], r), widths[i]);
        std::cout << "\n";
      }
      std::cout << "(" << table.columns().size() << " columns";
      if (shown.size() < table.columns().size()) std::cout << "; " << shown.size() << " shown, pick others with --columns";
      std::cout << ")\n";
      return 0;
    };
  });
}

}  // namespace ethovid::cli
