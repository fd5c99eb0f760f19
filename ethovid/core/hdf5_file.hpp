#pragma once
// Reading HDF5 files (SLEAP, DeepLabCut/PyTables, NWB) through the HDF5 C API. Numbers come back
// as doubles whatever their stored type (HDF5 converts), strings as UTF-8, and a missing or
// mistyped object is a FormatError naming the file and the object.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::core {

// A dataset read as doubles in row-major order, with its shape.
struct Hdf5Array {
  std::vector<std::int64_t> shape;
  std::vector<double> values;
  std::int64_t size() const;
};

class Hdf5File {
 public:
  // FormatError when the file is missing or not HDF5.
  explicit Hdf5File(const std::filesystem::path& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::filesystem::path& path() const { return path_; }

  bool has(const std::string& object) const;  // a group or dataset at this path
  bool is_group(const std::string& object) const;
  std::vector<std::string> children(const std::string& group) const;  // names, sorted

  // A numeric dataset.
  Hdf5Array read_numbers(const std::string& dataset) const;
  // One numeric field of a compound dataset (a table), one value per row.
  std::vector<double> read_field(const std::string& dataset, const std::string& field) const;
  // The same for a field that may hold an array per row (PyTables' values blocks): shape
  // {rows} or {rows, width, ...}.
  Hdf5Array read_column(const std::string& dataset, const std::string& field) const;
  // The field names of a compound dataset.
  std::vector<std::string> field_names(const std::string& dataset) const;
  // A string dataset (fixed or variable length; a scalar gives one string).
  std::vector<std::string> read_strings(const std::string& dataset) const;

  // Attributes of a group or dataset ("/" for the file): strings, or numbers as doubles.
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string string_attribute(const std::string& object, const std::string& name) const;
  double number_attribute(const std::string& object, const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::int64_t file_;  // hid_t
};

}  // namespace ethovid::core
