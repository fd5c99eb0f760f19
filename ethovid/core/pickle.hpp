#pragma once
// A safe reader for the pickle subset that np.save(allow_pickle=True) of a dict produces:
// protocols 2-5; dicts, lists, tuples, str, bytes, int (incl. long), float, bool, None; numpy
// arrays (ndarray + _reconstruct + dtype, numeric and object dtypes) and numpy scalars, under
// both numpy 1.x (numpy.core.multiarray) and 2.x (numpy._core.multiarray) module names.
// It only builds data. Any other global (os.system, builtins.eval, ...) is a PickleFormatError
// naming the module and name; nothing is ever called.
#include <string>
#include <string_view>

#include "ethovid/core/pyvalue.hpp"

namespace ethovid::core {

// `source` names the bytes in error messages (usually the file path).
PyValue unpickle(std::string_view bytes, const std::string& source);

}  // namespace ethovid::core
