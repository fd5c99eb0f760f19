#pragma once
// MATLAB .mat files, v5 and v7.3 (HDF5), read through matio into the same PyValue tree as a
// pickle: the file is a dict of its top-level variables; numeric/logical arrays become NdArray
// (C order, MATLAB's column-major converted), char arrays strings, structs dicts (a struct array
// of N>1 elements a list of dicts), cell arrays lists. Errors are MatFormatError.
#include <filesystem>

#include "ethovid/core/pyvalue.hpp"

namespace ethovid::core {

PyValue read_mat(const std::filesystem::path& path);

}  // namespace ethovid::core
