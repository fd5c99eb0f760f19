#pragma once
// YAML configuration files (yaml-cpp). Stages read their own keys from the returned node; any
// parse problem, or a key of the wrong type, is a ConfigError naming the file, key and line.
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

namespace ethovid::core {

YAML::Node load_yaml(const std::filesystem::path& path);

// Rejects keys a stage does not know (a typo must not pass silently): ConfigError naming the
// file, the key and the keys that are allowed.
void check_known_keys(const YAML::Node& map, const std::filesystem::path& file,
                      const std::string& where, std::initializer_list<const char*> allowed);

}  // namespace ethovid::core
