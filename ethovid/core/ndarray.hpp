#pragma once
// A typed n-dimensional array as numpy stores it: element type, shape and the raw elements in
// native byte order and C (row-major) order. Readers convert byte order and Fortran order on the
// way in, so every NdArray in memory is native and C-ordered.
#include <complex>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ethovid::core {

enum class DType {
  kBool, kInt8, kUInt8, kInt16, kUInt16, kInt32, kUInt32, kInt64, kUInt64,
  kFloat16, kFloat32, kFloat64, kComplex64, kComplex128
};

std::size_t dtype_size(DType dtype);
std::string dtype_name(DType dtype);  // numpy's name: "float64", "uint8", ...

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::kUInt16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::kUInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::kUInt64; }
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<std::complex<float>>() { return DType::kComplex64; }
template <> constexpr DType dtype_of<std::complex<double>>() { return DType::kComplex128; }

struct NdArray {
  DType dtype = DType::kFloat64;
  std::vector<std::int64_t> shape;  // empty shape = a 0-d scalar holding one element
  std::vector<std::uint8_t> bytes;  // size() * dtype_size(dtype) bytes, native order, C order

  std::int64_t size() const;  // number of elements (product of shape; 1 for 0-d)
  std::size_t ndim() const { return shape.size(); }
  std::string shape_string() const;  // "(3, 4)" for messages

  // Every element converted to double (complex: real part; float16 decoded). Row-major.
  std::vector<double> to_double() const;

  template <typename T>
  static NdArray from(std::vector<std::int64_t> shape, const std::vector<T>& values) {
    NdArray a;
    a.dtype = dtype_of<T>();
    a.shape = std::move(shape);
    a.bytes.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
    return a;
  }
  // Typed pointer; the caller must ask for the stored dtype (asserted).
  template <typename T> const T* data() const;
};

// numpy's type code without byte order ("f8", "i4", "b1", "c16", "u1"); nullopt when the code
// names no numeric dtype (object, strings, records, datetimes, ...).
std::optional<DType> dtype_from_code(std::string_view code);
// numpy's type code for a dtype ("f8", "b1", ...), the inverse of dtype_from_code.
std::string dtype_code(DType dtype);

// Reverses the byte order of every element in place (each half of a complex separately); used
// when a file's byte order differs from the machine's.
void byteswap_elements(NdArray& array);

// Rearranges `array.bytes`, which hold the elements of `array.shape` in Fortran (column-major)
// order, into C (row-major) order.
void fortran_to_c_order(NdArray& array);

}  // namespace ethovid::core
