#include "ethovid/core/input_file.hpp"

#include <system_error>

#include "ethovid/core/error.hpp"

namespace ethovid::core {

void require_input_file(const std::filesystem::path& path, const std::string& missing_message) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw MissingInputError(path.string() + ": is a directory, not a file");
  }
  if (!std::filesystem::exists(path, ec)) throw MissingInputError(missing_message);
}

}  // namespace ethovid::core
