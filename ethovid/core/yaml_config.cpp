#include "ethovid/core/yaml_config.hpp"

#include <algorithm>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::core {

YAML::Node load_yaml(const std::filesystem::path& path) {
  require_input_file(path, path.string() + ": config file not found");
  try {
    return YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw ConfigError(path.string() + ": not valid YAML at line " + std::to_string(e.mark.line + 1) +
                      " (" + e.msg + ")");
  }
}

void check_known_keys(const YAML::Node& map, const std::filesystem::path& file,
                      const std::string& where, std::initializer_list<const char*> allowed) {
  if (!map || map.IsNull()) return;
  if (!map.IsMap()) throw ConfigError(file.string() + ": " + where + " must be a mapping");
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* name) { return key == name; });
    if (!known) {
      std::string list;
      for (const char* name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      const int line = entry.first.Mark().line;  // -1 for a map built in memory
      throw ConfigError(file.string() + ": unknown key '" + key + "' in " + where +
                        (line >= 0 ? " (line " + std::to_string(line + 1) + ")" : "") +
                        "; allowed: " + list);
    }
  }
}

}  // namespace ethovid::core
