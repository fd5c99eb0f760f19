#pragma once
// The one check every reader of an input file makes first, so that a folder given where a file
// belongs is reported as a folder ("is a directory") and not as a missing file.
#include <filesystem>
#include <string>

namespace ethovid::core {

// Returns when `path` is an existing regular file (or a link to one). Otherwise throws
// MissingInputError: `missing_message` when nothing is there, `<path>: is a directory, not a
// file` for a folder.
void require_input_file(const std::filesystem::path& path, const std::string& missing_message);

}  // namespace ethovid::core
