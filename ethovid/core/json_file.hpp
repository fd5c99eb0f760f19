#pragma once
// JSON files (nlohmann::json): read with a FormatError naming the file and the parse position,
// written atomically and pretty-printed.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace ethovid::core {

using Json = nlohmann::ordered_json;  // keeps keys in the order a summary is built

Json read_json(const std::filesystem::path& path);
void write_json(const std::filesystem::path& path, const Json& value);

}  // namespace ethovid::core
