#include "ethovid/core/mat.hpp"

#include <matio.h>

#include <fstream>
#include <memory>
#include <optional>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/utf8.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

namespace {

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};

std::vector<std::int64_t> dims_of(const matvar_t* var) {
  std::vector<std::int64_t> shape;
  for (int k = 0; k < var->rank; ++k) shape.push_back(static_cast<std::int64_t>(var->dims[k]));
  return shape;
}

std::int64_t count_of(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

// Decodes UTF-8 leniently (a stray byte stands for itself): names and labels only.
std::vector<char32_t> code_points_utf8(const unsigned char* p, std::size_t n) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    std::size_t len = 1;  // ASCII, or a stray byte
    if ((c >> 5) == 6) len = 2;
    if ((c >> 4) == 14) len = 3;
    if ((c >> 3) == 30) len = 4;
    if (i + len > n) len = 1;
    char32_t code = len == 1 ? c : c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) code = (code << 6) | (p[i + k] & 0x3f);
    out.push_back(code);
    i += len;
  }
  return out;
}

// UTF-16 code units (MATLAB's char) to code points, joining surrogate pairs.
std::vector<char32_t> code_points_utf16(const std::uint16_t* p, std::size_t n) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    char32_t c = p[i];
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && p[i + 1] >= 0xdc00 && p[i + 1] < 0xe000) {
      c = 0x10000 + ((c - 0xd800) << 10) + (p[i + 1] - 0xdc00);
      ++i;
    }
    out.push_back(c);
  }
  return out;
}

class MatReader {
 public:
  explicit MatReader(std::string source) : source_(std::move(source)) {}

  PyValue convert(matvar_t* var, const std::string& name) {
    if (var == nullptr) return PyNone{};  // an unset cell or field
    switch (var->class_type) {
      case MAT_C_DOUBLE:
      case MAT_C_SINGLE:
      case MAT_C_INT8:
      case MAT_C_UINT8:
      case MAT_C_INT16:
      case MAT_C_UINT16:
      case MAT_C_INT32:
      case MAT_C_UINT32:
      case MAT_C_INT64:
      case MAT_C_UINT64: return numeric(var, name);
      case MAT_C_EMPTY: {
        NdArray empty;
        empty.shape = var->rank > 0 ? dims_of(var) : std::vector<std::int64_t>{0, 0};
        if (count_of(empty.shape) != 0) empty.shape = {0, 0};
        return empty;
      }
      case MAT_C_CHAR: return chars(var, name);
      case MAT_C_STRUCT: return structure(var, name);
      case MAT_C_CELL: return cell(var, name);
      case MAT_C_SPARSE:
        unsupported(name, "a sparse matrix; save it with full() to read it here");
      case MAT_C_FUNCTION: unsupported(name, "a function handle");
      case MAT_C_OBJECT: unsupported(name, "a MATLAB object; save its fields as a struct");
      case MAT_C_OPAQUE: unsupported(name, "an opaque MATLAB class (e.g. table, string, datetime)");
    }
    unsupported(name, "of unknown class " + std::to_string(static_cast<int>(var->class_type)));
  }

 private:
  [[noreturn]] void unsupported(const std::string& name, const std::string& what) const {
    throw MatFormatError(source_ + ": variable '" + name + "' is " + what);
  }

  PyValue numeric(matvar_t* var, const std::string& name) {
    DType dtype;
    switch (var->class_type) {
      case MAT_C_DOUBLE: dtype = DType::kFloat64; break;
      case MAT_C_SINGLE: dtype = DType::kFloat32; break;
      case MAT_C_INT8: dtype = DType::kInt8; break;
      case MAT_C_UINT8: dtype = DType::kUInt8; break;
      case MAT_C_INT16: dtype = DType::kInt16; break;
      case MAT_C_UINT16: dtype = DType::kUInt16; break;
      case MAT_C_INT32: dtype = DType::kInt32; break;
      case MAT_C_UINT32: dtype = DType::kUInt32; break;
      case MAT_C_INT64: dtype = DType::kInt64; break;
      default: dtype = DType::kUInt64; break;
    }
    if (var->isLogical) dtype = DType::kBool;
    NdArray a;
    a.dtype = dtype;
    a.shape = dims_of(var);
    const auto count = static_cast<std::size_t>(count_of(a.shape));
    const std::size_t item = dtype_size(dtype);
    // matio reads numeric data converted to the variable's class, so the element size matches.
    if (count > 0 && static_cast<std::size_t>(var->data_size) != item) {
      unsupported(name, "stored with " + std::to_string(var->data_size) +
                            "-byte elements for a " + dtype_name(dtype) + " class");
    }
    if (var->isComplex) {
      if (dtype != DType::kFloat64 && dtype != DType::kFloat32) {
        unsupported(name, "a complex integer array");
      }
      a.dtype = dtype == DType::kFloat64 ? DType::kComplex128 : DType::kComplex64;
      a.bytes.resize(count * item * 2);
      const auto* split = static_cast<const mat_complex_split_t*>(var->data);
      if (count > 0) {
        if (!split || !split->Re || !split->Im) unsupported(name, "a complex array without data");
        const auto* re = static_cast<const std::uint8_t*>(split->Re);
        const auto* im = static_cast<const std::uint8_t*>(split->Im);
        for (std::size_t i = 0; i < count; ++i) {
          std::memcpy(a.bytes.data() + 2 * i * item, re + i * item, item);
          std::memcpy(a.bytes.data() + (2 * i + 1) * item, im + i * item, item);
        }
      }
    } else {
      a.bytes.resize(count * item);
      if (count > 0) {
        if (!var->data || var->nbytes < count * item) {
          unsupported(name, "shorter than its dimensions " + a.shape_string() + " say");
        }
        std::memcpy(a.bytes.data(), var->data, count * item);
      }
    }
    fortran_to_c_order(a);  // MATLAB stores column-major
    return a;
  }

  // A 1xN (or Nx1, or empty) char array is one string; an MxN char matrix is a list of its M
  // rows, as MATLAB's char(...) of several names stores them.
  PyValue chars(matvar_t* var, const std::string& name) {
    const std::vector<std::int64_t> shape = dims_of(var);
    const std::int64_t count = count_of(shape);
    std::vector<char32_t> code;
    if (count > 0 && var->data) {
      switch (var->data_type) {
        case MAT_T_UTF8:
        case MAT_T_UINT8:
        case MAT_T_INT8:
          code = code_points_utf8(static_cast<const unsigned char*>(var->data), var->nbytes);
          break;
        case MAT_T_UTF16:
        case MAT_T_UINT16:
        case MAT_T_INT16:
          code = code_points_utf16(static_cast<const std::uint16_t*>(var->data), var->nbytes / 2);
          break;
        default: unsupported(name, "a char array of unexpected data type");
      }
    }
    if (static_cast<std::int64_t>(code.size()) != count) {
      unsupported(name, "a char array of " + std::to_string(count) + " characters holding " +
                            std::to_string(code.size()));
    }
    const std::int64_t rows = shape.size() == 2 ? shape[0] : 1;
    if (shape.size() != 2 || rows <= 1 || shape[1] <= 1) {
      std::string s;
      for (char32_t c : code) append_utf8(s, c);
      return s;
    }
    PyList lines;
    const std::int64_t cols = shape[1];
    for (std::int64_t r = 0; r < rows; ++r) {
      std::string s;
      for (std::int64_t c = 0; c < cols; ++c) {
        append_utf8(s, code[static_cast<std::size_t>(c * rows + r)]);
      }
      lines.emplace_back(std::move(s));
    }
    return lines;
  }

  // Cell and struct arrays: a vector (at most one dimension above 1) is a flat list; a matrix is
  // a list of rows (nested by shape, C order). `element(i)` takes MATLAB's column-major index.
  template <typename Element>
  PyValue arrange(const std::vector<std::int64_t>& shape, Element element) {
    const std::int64_t count = count_of(shape);
    int big_axes = 0;
    for (std::int64_t d : shape) big_axes += d > 1 ? 1 : 0;
    if (big_axes <= 1) {
      PyList items;
      for (std::int64_t i = 0; i < count; ++i) items.push_back(element(i));
      return items;
    }
    std::vector<std::int64_t> index(shape.size(), 0);
    return nest(shape, 0, index, element);
  }

  template <typename Element>
  PyValue nest(const std::vector<std::int64_t>& shape, std::size_t axis,
               std::vector<std::int64_t>& index, Element& element) {
    if (axis == shape.size()) {
      std::int64_t linear = 0;
      std::int64_t stride = 1;
      for (std::size_t k = 0; k < shape.size(); ++k) {
        linear += index[k] * stride;
        stride *= shape[k];
      }
      return element(linear);
    }
    PyList items;
    for (index[axis] = 0; index[axis] < shape[axis]; ++index[axis]) {
      items.push_back(nest(shape, axis + 1, index, element));
    }
    return items;
  }

  PyValue structure(matvar_t* var, const std::string& name) {
    const std::vector<std::int64_t> shape = dims_of(var);
    const unsigned nfields = Mat_VarGetNumberOfFields(var);
    char* const* fields = Mat_VarGetStructFieldnames(var);
    auto element = [&](std::int64_t i) -> PyValue {
      PyDict dict;
      for (unsigned f = 0; f < nfields; ++f) {
        const std::string field = fields && fields[f] ? fields[f] : "field" + std::to_string(f);
        const std::string path = count_of(shape) == 1
                                     ? name + "." + field
                                     : name + "(" + std::to_string(i + 1) + ")." + field;
        matvar_t* value = Mat_VarGetStructFieldByIndex(var, f, static_cast<std::size_t>(i));
        dict.emplace_back(field, convert(value, path));
      }
      return dict;
    };
    if (count_of(shape) == 1) return element(0);
    return arrange(shape, element);
  }

  PyValue cell(matvar_t* var, const std::string& name) {
    const std::vector<std::int64_t> shape = dims_of(var);
    auto element = [&](std::int64_t i) -> PyValue {
      return convert(Mat_VarGetCell(var, static_cast<int>(i)),
                     name + "{" + std::to_string(i + 1) + "}");
    };
    return arrange(shape, element);
  }

  std::string source_;
};

// matio stops at the first element it cannot read and reports that like the end of the file, so
// a truncated v5 file would look complete. Walking the top-level element tags (type, byte count)
// finds how many variables the file declares and whether it is cut short. nullopt: not v5.
std::optional<std::size_t> count_v5_variables(const fs::path& path, const std::string& source) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[128];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return std::nullopt;
  const bool little = header[126] == 'I' && header[127] == 'M';
  const bool big = header[126] == 'M' && header[127] == 'I';
  if (!little && !big) return std::nullopt;
  auto u32 = [little](const unsigned char* p) {
    return little ? std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                        std::uint32_t{p[3]} << 24
                  : std::uint32_t{p[3]} | std::uint32_t{p[2]} << 8 | std::uint32_t{p[1]} << 16 |
                        std::uint32_t{p[0]} << 24;
  };
  std::error_code ec;
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) return std::nullopt;
  // MATLAB appends the data of objects and function handles as a nameless "subsystem" element
  // at the offset in bytes 116-123 (zeros or spaces when absent); it is not a variable.
  std::uint64_t subsystem = 0;
  for (int i = 0; i < 8; ++i) {
    subsystem |= std::uint64_t{header[116 + (little ? i : 7 - i)]} << (8 * i);
  }
  const std::uint64_t end =
      subsystem != 0 && subsystem != 0x2020202020202020ull && subsystem < size ? subsystem : size;
  std::uint64_t pos = 128;
  std::size_t count = 0;
  while (pos + 8 <= end) {
    unsigned char tag[8];
    in.seekg(static_cast<std::streamoff>(pos));
    if (!in.read(reinterpret_cast<char*>(tag), sizeof tag)) break;
    const std::uint32_t type = u32(tag);
    std::uint64_t next = pos + 8 + u32(tag + 4);
    if (type != 15) next = (next + 7) / 8 * 8;  // miMATRIX elements are 8-byte aligned
    if (next > size) {
      throw MatFormatError(source + ": truncated; variable #" + std::to_string(count + 1) +
                           " needs " + std::to_string(next - pos) + " bytes, the file has " +
                           std::to_string(size - pos) + " left");
    }
    pos = next;
    ++count;
  }
  return count;
}

}  // namespace

PyValue read_mat(const fs::path& path) {
  std::error_code ec;
  require_input_file(path, path.string() + ": file not found");
  const std::string not_mat = path.string() + ": not a MATLAB .mat file (matio cannot open it as "
                                                "version 4, 5 or 7.3)";
  // matio takes an empty file for a version 4 file without variables.
  if (fs::file_size(path, ec) == 0 && !ec) throw MatFormatError(not_mat);
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw MatFormatError(not_mat);
  MatReader reader(path.string());
  PyDict variables;
  while (true) {
    std::unique_ptr<matvar_t, VarFreer> var(Mat_VarReadNext(mat.get()));
    if (!var) break;
    const std::string name = var->name ? var->name : "";
    variables.emplace_back(name, reader.convert(var.get(), name));
  }
  // Version 4 has no magic number, so matio's v4 fallback accepts stray files; a v4 file from
  // which no variable can be read is one of those.
  if (variables.empty() && Mat_GetVersion(mat.get()) == MAT_FT_MAT4) throw MatFormatError(not_mat);
  if (Mat_GetVersion(mat.get()) == MAT_FT_MAT5) {
    const auto declared = count_v5_variables(path, path.string());
    if (declared && variables.size() < *declared) {
      throw MatFormatError(path.string() + ": matio could not read variable #" +
                           std::to_string(variables.size() + 1) + " of " +
                           std::to_string(*declared) + " (corrupt, or a class matio cannot read)");
    }
  }
  return variables;
}

}  // namespace ethovid::core
