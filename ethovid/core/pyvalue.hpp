#pragma once
// The data that a numpy pickle (np.save(allow_pickle=True) of a dict) or a MATLAB .mat file can
// hold, as one tree: None, bool, int, float, str, bytes, list, tuple, dict (insertion-ordered,
// any hashable key) and numpy arrays. Readers build only data: nothing is executed.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ethovid/core/ndarray.hpp"

namespace ethovid::core {

struct PyValue;
using PyList = std::vector<PyValue>;
using PyDict = std::vector<std::pair<PyValue, PyValue>>;  // keeps insertion order

struct PyNone {
  bool operator==(const PyNone&) const = default;
};
struct PyBytes {
  std::string data;
};
struct PyTuple {
  PyList items;
};

struct PyValue {
  using Storage = std::variant<PyNone, bool, std::int64_t, double, std::string, PyBytes, PyList,
                               PyTuple, PyDict, NdArray>;
  Storage value;

  PyValue() = default;
  template <typename T>
  PyValue(T v) : value(std::move(v)) {}  // NOLINT: implicit by design, reads like Python

  bool is_none() const { return std::holds_alternative<PyNone>(value); }
  bool is_dict() const { return std::holds_alternative<PyDict>(value); }
  bool is_list() const { return std::holds_alternative<PyList>(value); }
  bool is_tuple() const { return std::holds_alternative<PyTuple>(value); }
  bool is_string() const { return std::holds_alternative<std::string>(value); }
  bool is_array() const { return std::holds_alternative<NdArray>(value); }
  bool is_number() const;  // bool, int or float

  // Typed views; each throws FormatError (naming what was expected) on a mismatch.
  const PyDict& as_dict() const;
  const PyList& as_list() const;        // a tuple's items are returned as a list too
  const std::string& as_string() const;
  const NdArray& as_array() const;
  double as_double() const;             // bool/int/float, or a 1-element numeric array
  std::int64_t as_int() const;

  // Dict lookup by string key; nullptr when absent or when this is not a dict.
  const PyValue* find(const std::string& key) const;

  std::string type_name() const;  // "dict", "list", "ndarray[float32, (3, 4)]", ... for messages
};

}  // namespace ethovid::core
