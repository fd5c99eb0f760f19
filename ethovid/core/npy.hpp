#pragma once
// NumPy .npy files (format versions 1.0, 2.0, 3.0): every numeric dtype, both byte orders, C and
// Fortran order; object arrays ('|O', written by np.save(allow_pickle=True)) through the safe
// pickle reader. Errors are NpyFormatError naming the file and what is wrong.
#include <filesystem>
#include <string_view>

#include "ethovid/core/ndarray.hpp"
#include "ethovid/core/pyvalue.hpp"

namespace ethovid::core {

// A numeric .npy file. Object arrays are a NpyFormatError here; use load_npy().
NdArray read_npy(const std::filesystem::path& path);

// Any .npy: numeric arrays come back as an NdArray value; an object array holding one pickled
// object (np.save of a dict) comes back as that object; other object arrays as a list.
PyValue load_npy(const std::filesystem::path& path);

// Parses .npy bytes already in memory; `source` names them in error messages.
PyValue parse_npy(std::string_view bytes, const std::string& source);

// Writes a little-endian, C-order .npy (version 1.0), atomically (temp name, then rename).
void write_npy(const std::filesystem::path& path, const NdArray& array);

}  // namespace ethovid::core
