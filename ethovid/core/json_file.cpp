#include "ethovid/core/json_file.hpp"

#include <fstream>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::core {

Json read_json(const std::filesystem::path& path) {
  require_input_file(path, path.string() + ": file not found");
  std::ifstream in(path);
  if (!in) throw MissingInputError(path.string() + ": file not found");
  try {
    return Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw FormatError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

void write_json(const std::filesystem::path& path, const Json& value) {
  // NaN/inf are not JSON; they are written as null by nlohmann, which readers treat as missing.
  write_text_atomically(path, value.dump(2) + "\n");
}

}  // namespace ethovid::core
