// DeepLabCut's tables: pandas HDF5 ("table" layout through PyTables, or "fixed") and CSV. Both
// name each column by a tuple (scorer, [individual,] bodypart, coord); the CSVs of lightning-pose
// and deepof use the same layout.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/core/pickle.hpp"
#include "ethovid/moseq/pose_files.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

struct ColumnName {
  std::string individual;  // empty for single-animal files
  std::string bodypart;
  std::string coord;       // x, y, z or likelihood
};

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// deepof and others store several animals in DeepLabCut's single-animal layout, each bodypart
// prefixed by its animal (B_Nose ... W_Nose). Taken as one animal, two mice would become one
// 28-keypoint body. The columns are split by prefix when every bodypart has one, every prefix has
// the same bodyparts (at least 3, and more bodyparts than animals), and no prefix is a side or a
// view (left_ear/right_ear, paw_top/paw_bot are one animal's names).
void split_prefixed_animals(std::vector<ColumnName>& columns) {
  static const std::set<std::string> kSideWords = {"left", "right", "l", "r", "front", "back", "fore", "hind",
                                                   "top", "bottom", "bot", "upper", "lower", "mid", "middle",
                                                   "center", "centre", "inner", "outer", "tail", "spine", "body"};
  std::map<std::string, std::set<std::string>> parts_of;  // prefix -> bodyparts after it
  for (const auto& c : columns) {
    const std::size_t cut = c.bodypart.find('_');
    if (!c.individual.empty() || cut == std::string::npos || cut == 0 || cut + 1 == c.bodypart.size()) return;
    const std::string prefix = c.bodypart.substr(0, cut);
    if (kSideWords.count(lowercase(prefix)) > 0) return;
    parts_of[prefix].insert(c.bodypart.substr(cut + 1));
  }
  if (parts_of.size() < 2) return;
  const std::set<std::string>& first = parts_of.begin()->second;
  if (first.size() < 3 || first.size() <= parts_of.size()) return;
  for (const auto& [prefix, parts] : parts_of) {
    if (parts != first) return;
  }
  for (auto& c : columns) {
    const std::size_t cut = c.bodypart.find('_');
    c.individual = c.bodypart.substr(0, cut);
    c.bodypart = c.bodypart.substr(cut + 1);
  }
}

// Recordings from a rows x columns table of values whose columns are named by `columns`.
std::vector<PoseRecording> recordings_from_columns(const fs::path& path, std::vector<ColumnName> columns,
                                                   const std::vector<double>& values, std::int64_t rows) {
  const std::string where = path.string();
  split_prefixed_animals(columns);
  std::vector<std::string> individuals;
  std::map<std::string, std::vector<std::string>> bodyparts;  // per individual, first-seen order
  bool has_z = false;
  for (const auto& c : columns) {
    if (std::find(individuals.begin(), individuals.end(), c.individual) == individuals.end()) {
      individuals.push_back(c.individual);
    }
    auto& parts = bodyparts[c.individual];
    if (std::find(parts.begin(), parts.end(), c.bodypart) == parts.end()) parts.push_back(c.bodypart);
    if (c.coord != "x" && c.coord != "y" && c.coord != "z" && c.coord != "likelihood") {
      throw FormatError(where + ": column (" + c.bodypart + ", " + c.coord +
                        ") has coord '" + c.coord + "'; expected x, y, z or likelihood");
    }
    has_z = has_z || c.coord == "z";
  }
  const int dims = has_z ? 3 : 2;
  std::vector<PoseRecording> out;
  for (const auto& individual : individuals) {
    std::string name = path.stem().string();
    if (individuals.size() > 1) name.append("_").append(individual);
    PoseRecording r = PoseRecording::empty(name, path, bodyparts[individual], rows, dims);
    std::vector<int> coords_seen(static_cast<std::size_t>(r.keypoints()), 0);
    std::vector<bool> has_likelihood(static_cast<std::size_t>(r.keypoints()), false);
    for (std::size_t col = 0; col < columns.size(); ++col) {
      const ColumnName& c = columns[col];
      if (c.individual != individual) continue;
      const auto& parts = bodyparts[individual];
      const int k = static_cast<int>(std::find(parts.begin(), parts.end(), c.bodypart) - parts.begin());
      for (std::int64_t t = 0; t < rows; ++t) {
        const double v = values[static_cast<std::size_t>(t) * columns.size() + col];
        if (c.coord == "likelihood") {
          r.confidence(t, k) = v;
        } else {
          r.at(t, k, c.coord == "x" ? 0 : c.coord == "y" ? 1 : 2) = v;
        }
      }
      if (c.coord == "likelihood") has_likelihood[static_cast<std::size_t>(k)] = true;
      else ++coords_seen[static_cast<std::size_t>(k)];
    }
    for (int k = 0; k < r.keypoints(); ++k) {
      if (coords_seen[static_cast<std::size_t>(k)] != dims) {
        throw FormatError(where + ": bodypart '" + r.bodyparts[static_cast<std::size_t>(k)] + "' has " +
                          std::to_string(coords_seen[static_cast<std::size_t>(k)]) + " coordinate columns, expected " +
                          std::to_string(dims));
      }
      for (std::int64_t t = 0; t < rows; ++t) {
        bool present = true;
        for (int d = 0; d < dims; ++d) present = present && !std::isnan(r.at(t, k, d));  // infinities are refused later
        if (!present) {
          for (int d = 0; d < dims; ++d) r.at(t, k, d) = NAN;
          r.confidence(t, k) = 0;
        } else if (!has_likelihood[static_cast<std::size_t>(k)]) {
          r.confidence(t, k) = 1;  // labels without a likelihood: a labelled point is certain
        } else if (!std::isfinite(r.confidence(t, k))) {
          r.confidence(t, k) = 0;
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

// A column tuple of 3 (scorer, bodypart, coord) or 4 (scorer, individual, bodypart, coord) levels.
ColumnName column_from_levels(const std::vector<std::string>& levels, const fs::path& path) {
  if (levels.size() == 3) return {"", levels[1], levels[2]};
  if (levels.size() == 4) return {levels[1], levels[2], levels[3]};
  throw FormatError(path.string() + ": a column has " + std::to_string(levels.size()) +
                    " header levels; expected 3 (scorer, bodyparts, coords) or 4 (with individuals)");
}

// pandas "table" layout: KEY/table with `values_block_N` columns; their names are the pickled
// `values_block_N_kind` attributes (lists of tuples).
std::vector<PoseRecording> read_table_layout(const core::Hdf5File& file, const std::string& key) {
  const std::string table = key + "/table";
  std::vector<ColumnName> columns;
  std::vector<core::Hdf5Array> blocks;
  for (int b = 0;; ++b) {
    const std::string field = "values_block_" + std::to_string(b);
    const auto fields = file.field_names(table);
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) break;
    const std::string kind = file.string_attribute(table, field + "_kind");
    const core::PyValue names = core::unpickle(kind, file.path().string() + " " + table + " " + field + "_kind");
    if (!names.is_list()) throw FormatError(file.path().string() + ": " + field + "_kind is not a list of column names");
    for (const auto& name : names.as_list()) {
      std::vector<std::string> levels;
      for (const auto& level : name.as_list()) levels.push_back(level.as_string());
      columns.push_back(column_from_levels(levels, file.path()));
    }
    blocks.push_back(file.read_column(table, field));
  }
  if (blocks.empty()) throw FormatError(file.path().string() + ": " + table + " has no values_block_0");
  const std::int64_t rows = blocks.front().shape[0];
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(rows) * columns.size());
  for (std::int64_t t = 0; t < rows; ++t) {
    for (const auto& block : blocks) {
      const std::int64_t width = block.size() / std::max<std::int64_t>(rows, 1);
      values.insert(values.end(), block.values.begin() + t * width, block.values.begin() + (t + 1) * width);
    }
  }
  if (values.size() != static_cast<std::size_t>(rows) * columns.size()) {
    throw FormatError(file.path().string() + ": " + table + " has " + std::to_string(values.size() / std::max<std::int64_t>(rows, 1)) +
                      " values per row and " + std::to_string(columns.size()) + " column names");
  }
  return recordings_from_columns(file.path(), columns, values, rows);
}

// pandas "fixed" layout: KEY/block0_values (rows x columns), column names as level tables
// KEY/block0_items_levelN with codes KEY/block0_items_labelN.
std::vector<PoseRecording> read_fixed_layout(const core::Hdf5File& file, const std::string& key) {
  if (file.has(key + "/block1_values")) {
    throw FormatError(file.path().string() + ": " + key + " holds several value blocks (mixed column types)");
  }
  const core::Hdf5Array values = file.read_numbers(key + "/block0_values");
  std::vector<std::vector<std::string>> levels;
  std::vector<std::vector<double>> labels;
  for (int level = 0; file.has(key + "/block0_items_level" + std::to_string(level)); ++level) {
    levels.push_back(file.read_strings(key + "/block0_items_level" + std::to_string(level)));
    labels.push_back(file.read_numbers(key + "/block0_items_label" + std::to_string(level)).values);
  }
  if (values.shape.size() != 2 || labels.empty()) {
    throw FormatError(file.path().string() + ": " + key + " is not a table with multi-level column names");
  }
  std::vector<ColumnName> columns;
  for (std::int64_t col = 0; col < values.shape[1]; ++col) {
    std::vector<std::string> tuple;
    for (std::size_t level = 0; level < levels.size(); ++level) {
      const auto code = static_cast<std::size_t>(labels[level].at(static_cast<std::size_t>(col)));
      tuple.push_back(levels[level].at(code));
    }
    columns.push_back(column_from_levels(tuple, file.path()));
  }
  return recordings_from_columns(file.path(), columns, values.values, values.shape[0]);
}

// Splits one CSV line on commas (DeepLabCut writes no quoted fields).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    if (!cell.empty() && cell.back() == '\r') cell.pop_back();
    cells.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

}  // namespace

std::vector<PoseRecording> load_dlc_hdf5(const fs::path& path) {
  const core::Hdf5File file(path);
  for (const auto& key : file.children("/")) {
    if (!file.is_group(key)) continue;
    if (file.has(key + "/table")) return read_table_layout(file, key);
    if (file.has(key + "/block0_values")) return read_fixed_layout(file, key);
  }
  throw FormatError(path.string() + " holds no pandas table (no KEY/table or KEY/block0_values) and is not a "
                    "SLEAP analysis file (no `tracks` and `node_names`)");
}

std::vector<PoseRecording> load_dlc_csv(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw MissingInputError("pose file " + path.string() + " cannot be read");
  std::vector<std::vector<std::string>> header;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    header.push_back(split_csv(line));
    if (header.back().empty() || header.back()[0] == "coords") break;
    if (header.size() > 4) break;
  }
  if (header.empty() || header.back().empty() || header.back()[0] != "coords" || header.size() < 3) {
    throw FormatError(path.string() + ": no DeepLabCut header (rows scorer, [individuals,] bodyparts, coords) in "
                      "the first " + std::to_string(line_number) + " lines");
  }
  const std::size_t width = header[0].size();
  std::vector<ColumnName> columns;
  for (std::size_t col = 1; col < width; ++col) {
    std::vector<std::string> tuple;
    for (const auto& row : header) {
      if (row.size() != width) {
        throw FormatError(path.string() + ": header row '" + row[0] + "' has " + std::to_string(row.size()) +
                          " cells, the first has " + std::to_string(width));
      }
      tuple.push_back(row[col]);
    }
    columns.push_back(column_from_levels(tuple, path));
  }
  std::vector<double> values;
  std::int64_t rows = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const auto cells = split_csv(line);
    if (cells.size() != width) {
      throw FormatError(path.string() + " line " + std::to_string(line_number) + " has " +
                        std::to_string(cells.size()) + " cells, the header " + std::to_string(width));
    }
    for (std::size_t col = 1; col < width; ++col) {
      const std::string& cell = cells[col];
      if (cell.empty() || cell == "nan" || cell == "NaN") {
        values.push_back(NAN);
        continue;
      }
      try {
        std::size_t used = 0;
        values.push_back(std::stod(cell, &used));
        if (used != cell.size()) throw std::invalid_argument(cell);
      } catch (const std::exception&) {
        throw FormatError(path.string() + " line " + std::to_string(line_number) + " column " +
                          std::to_string(col + 1) + ": '" + cell + "' is not a number");
      }
    }
    ++rows;
  }
  if (rows == 0) throw FormatError(path.string() + " has a header but no rows");
  return recordings_from_columns(path, columns, values, rows);
}

}  // namespace ethovid::moseq
