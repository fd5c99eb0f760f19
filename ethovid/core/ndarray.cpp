#include "ethovid/core/ndarray.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>

namespace ethovid::core {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  const char* code;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "bool", "b1", 1},          {DType::kInt8, "int8", "i1", 1},
    {DType::kUInt8, "uint8", "u1", 1},        {DType::kInt16, "int16", "i2", 2},
    {DType::kUInt16, "uint16", "u2", 2},      {DType::kInt32, "int32", "i4", 4},
    {DType::kUInt32, "uint32", "u4", 4},      {DType::kInt64, "int64", "i8", 8},
    {DType::kUInt64, "uint64", "u8", 8},      {DType::kFloat16, "float16", "f2", 2},
    {DType::kFloat32, "float32", "f4", 4},    {DType::kFloat64, "float64", "f8", 8},
    {DType::kComplex64, "complex64", "c8", 8}, {DType::kComplex128, "complex128", "c16", 16},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  assert(false && "every DType has a table entry");
  return kDTypes[0];
}

// IEEE 754 binary16 to double; numpy stores float16 this way and C++20 has no half type.
double half_to_double(std::uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);  // subnormal or zero
  } else if (exponent == 31) {
    value = mantissa == 0 ? INFINITY : NAN;
  } else {
    value = std::ldexp(static_cast<double>(mantissa + 1024), exponent - 25);
  }
  return sign ? -value : value;
}

template <typename T>
void append_as_double(const NdArray& a, std::vector<double>& out) {
  const T* p = reinterpret_cast<const T*>(a.bytes.data());
  const std::size_t n = a.bytes.size() / sizeof(T);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<double>(p[i]));
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }

std::string dtype_name(DType dtype) { return info(dtype).name; }

std::string dtype_code(DType dtype) { return info(dtype).code; }

std::optional<DType> dtype_from_code(std::string_view code) {
  for (const auto& entry : kDTypes) {
    if (code == entry.code) return entry.dtype;
  }
  // numpy also spells bool as "?" and accepts single-character aliases in descr strings.
  if (code == "?") return DType::kBool;
  return std::nullopt;
}

std::int64_t NdArray::size() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string NdArray::shape_string() const {
  std::ostringstream out;
  out << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out << ", ";
    out << shape[i];
  }
  if (shape.size() == 1) out << ',';  // Python's spelling of a 1-tuple
  out << ')';
  return out.str();
}

std::vector<double> NdArray::to_double() const {
  std::vector<double> out;
  out.reserve(bytes.size() / dtype_size(dtype));
  switch (dtype) {
    case DType::kBool: {
      for (std::uint8_t b : bytes) out.push_back(b ? 1.0 : 0.0);
      break;
    }
    case DType::kInt8: append_as_double<std::int8_t>(*this, out); break;
    case DType::kUInt8: append_as_double<std::uint8_t>(*this, out); break;
    case DType::kInt16: append_as_double<std::int16_t>(*this, out); break;
    case DType::kUInt16: append_as_double<std::uint16_t>(*this, out); break;
    case DType::kInt32: append_as_double<std::int32_t>(*this, out); break;
    case DType::kUInt32: append_as_double<std::uint32_t>(*this, out); break;
    case DType::kInt64: append_as_double<std::int64_t>(*this, out); break;
    case DType::kUInt64: append_as_double<std::uint64_t>(*this, out); break;
    case DType::kFloat16: {
      for (std::size_t i = 0; i + 2 <= bytes.size(); i += 2) {
        std::uint16_t h;
        std::memcpy(&h, bytes.data() + i, 2);
        out.push_back(half_to_double(h));
      }
      break;
    }
    case DType::kFloat32: append_as_double<float>(*this, out); break;
    case DType::kFloat64: append_as_double<double>(*this, out); break;
    case DType::kComplex64: {
      const auto* p = reinterpret_cast<const float*>(bytes.data());
      for (std::size_t i = 0; i < bytes.size() / 8; ++i) out.push_back(p[2 * i]);
      break;
    }
    case DType::kComplex128: {
      const auto* p = reinterpret_cast<const double*>(bytes.data());
      for (std::size_t i = 0; i < bytes.size() / 16; ++i) out.push_back(p[2 * i]);
      break;
    }
  }
  return out;
}

template <typename T>
const T* NdArray::data() const {
  assert(dtype == dtype_of<T>() && "NdArray::data<T>() must be asked for the stored dtype");
  return reinterpret_cast<const T*>(bytes.data());
}

template const bool* NdArray::data<bool>() const;
template const std::int8_t* NdArray::data<std::int8_t>() const;
template const std::uint8_t* NdArray::data<std::uint8_t>() const;
template const std::int16_t* NdArray::data<std::int16_t>() const;
template const std::uint16_t* NdArray::data<std::uint16_t>() const;
template const std::int32_t* NdArray::data<std::int32_t>() const;
template const std::uint32_t* NdArray::data<std::uint32_t>() const;
template const std::int64_t* NdArray::data<std::int64_t>() const;
template const std::uint64_t* NdArray::data<std::uint64_t>() const;
template const float* NdArray::data<float>() const;
template const double* NdArray::data<double>() const;
template const std::complex<float>* NdArray::data<std::complex<float>>() const;
template const std::complex<double>* NdArray::data<std::complex<double>>() const;

void byteswap_elements(NdArray& array) {
  std::size_t unit = dtype_size(array.dtype);
  if (array.dtype == DType::kComplex64 || array.dtype == DType::kComplex128) unit /= 2;
  if (unit == 1) return;
  for (std::size_t i = 0; i + unit <= array.bytes.size(); i += unit) {
    std::reverse(array.bytes.begin() + static_cast<std::ptrdiff_t>(i),
                 array.bytes.begin() + static_cast<std::ptrdiff_t>(i + unit));
  }
}

void fortran_to_c_order(NdArray& array) {
  const std::size_t ndim = array.shape.size();
  const std::int64_t count = array.size();
  if (ndim < 2 || count <= 1) return;  // the two orders coincide
  const std::size_t item = dtype_size(array.dtype);
  assert(array.bytes.size() == static_cast<std::size_t>(count) * item);

  // Fortran strides (in elements) of each axis; walk the C-order multi-index like an odometer.
  std::vector<std::int64_t> fstride(ndim);
  std::int64_t stride = 1;
  for (std::size_t k = 0; k < ndim; ++k) {
    fstride[k] = stride;
    stride *= array.shape[k];
  }
  std::vector<std::uint8_t> out(array.bytes.size());
  std::vector<std::int64_t> index(ndim, 0);
  std::int64_t source = 0;
  for (std::int64_t dest = 0; dest < count; ++dest) {
    std::memcpy(out.data() + dest * item, array.bytes.data() + source * item, item);
    for (std::size_t k = ndim; k-- > 0;) {
      if (++index[k] < array.shape[k]) {
        source += fstride[k];
        break;
      }
      source -= fstride[k] * (array.shape[k] - 1);
      index[k] = 0;
    }
  }
  array.bytes = std::move(out);
}

}  // namespace ethovid::core
