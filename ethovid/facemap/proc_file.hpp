#pragma once
// Read access to a Facemap output (*_proc.npy, a pickled dict, or *_proc.mat, the same keys with
// every list of arrays split into key_0, key_1, ...). Shapes are checked as they are read: a
// wrong one is a FacemapFormatError naming the key, the shape found and the shape expected.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/pyvalue.hpp"

namespace ethovid::facemap {

class ProcFile {
 public:
  explicit ProcFile(const std::filesystem::path& path);  // MissingInputError, FormatError

  const std::filesystem::path& path() const { return path_; }
  bool has(const std::string& key) const;
  const core::PyValue* find(const std::string& key) const;

  // The entries of a list-valued key: `key` itself (a list, or a single array/struct), or the
  // split form key_0, key_1, ... of a .mat file. Empty when absent.
  std::vector<const core::PyValue*> list(const std::string& key) const;

  // A 1-D vector (any shape with at most one dimension longer than 1). `what` names it.
  std::vector<double> vector(const core::PyValue& value, const std::string& what) const;
  // A 2-D (rows x cols) matrix, row-major; a 1 x n MATLAB row becomes 1 x n.
  std::vector<double> matrix(const core::PyValue& value, const std::string& what,
                             std::int64_t* rows, std::int64_t* cols) const;
  // An integer-valued scalar (int, float, or 1-element array), first element of a list.
  std::optional<std::int64_t> integer(const std::string& key) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::filesystem::path path_;
  core::PyValue root_;
};

}  // namespace ethovid::facemap
