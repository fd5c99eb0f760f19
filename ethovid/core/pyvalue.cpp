#include "ethovid/core/pyvalue.hpp"

#include "ethovid/core/error.hpp"

namespace ethovid::core {

namespace {

[[noreturn]] void type_mismatch(const char* expected, const PyValue& actual) {
  throw FormatError("expected " + std::string(expected) + ", found " + actual.type_name());
}

}  // namespace

bool PyValue::is_number() const {
  return std::holds_alternative<bool>(value) || std::holds_alternative<std::int64_t>(value) ||
         std::holds_alternative<double>(value);
}

const PyDict& PyValue::as_dict() const {
  if (const auto* d = std::get_if<PyDict>(&value)) return *d;
  type_mismatch("dict", *this);
}

const PyList& PyValue::as_list() const {
  if (const auto* l = std::get_if<PyList>(&value)) return *l;
  if (const auto* t = std::get_if<PyTuple>(&value)) return t->items;
  type_mismatch("list", *this);
}

const std::string& PyValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  type_mismatch("str", *this);
}

const NdArray& PyValue::as_array() const {
  if (const auto* a = std::get_if<NdArray>(&value)) return *a;
  type_mismatch("ndarray", *this);
}

double PyValue::as_double() const {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  // Facemap and MATLAB often store a scalar as a 1-element array (MATLAB: always 1x1).
  if (const auto* a = std::get_if<NdArray>(&value); a && a->size() == 1) {
    return a->to_double().front();
  }
  type_mismatch("a number", *this);
}

std::int64_t PyValue::as_int() const {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  // A float or 1-element array counts as an int only when it holds a whole number (MATLAB
  // stores counts as double).
  double d;
  if (const auto* f = std::get_if<double>(&value)) {
    d = *f;
  } else if (const auto* a = std::get_if<NdArray>(&value); a && a->size() == 1) {
    d = a->to_double().front();
  } else {
    type_mismatch("an int", *this);
  }
  if (!(d >= -9.2e18 && d <= 9.2e18) || d != static_cast<double>(static_cast<std::int64_t>(d))) {
    throw FormatError("expected an int, found " + type_name() + " holding " + std::to_string(d));
  }
  return static_cast<std::int64_t>(d);
}

const PyValue* PyValue::find(const std::string& key) const {
  const auto* d = std::get_if<PyDict>(&value);
  if (!d) return nullptr;
  for (const auto& [k, v] : *d) {
    if (const auto* s = std::get_if<std::string>(&k.value); s && *s == key) return &v;
  }
  return nullptr;
}

std::string PyValue::type_name() const {
  struct Namer {
    std::string operator()(const PyNone&) const { return "None"; }
    std::string operator()(bool) const { return "bool"; }
    std::string operator()(std::int64_t) const { return "int"; }
    std::string operator()(double) const { return "float"; }
    std::string operator()(const std::string&) const { return "str"; }
    std::string operator()(const PyBytes&) const { return "bytes"; }
    std::string operator()(const PyList& l) const {
      return "list[" + std::to_string(l.size()) + "]";
    }
    std::string operator()(const PyTuple& t) const {
      return "tuple[" + std::to_string(t.items.size()) + "]";
    }
    std::string operator()(const PyDict&) const { return "dict"; }
    std::string operator()(const NdArray& a) const {
      return "ndarray[" + dtype_name(a.dtype) + ", " + a.shape_string() + "]";
    }
  };
  return std::visit(Namer{}, value);
}

}  // namespace ethovid::core
