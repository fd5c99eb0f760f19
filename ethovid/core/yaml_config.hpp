#pragma once
// YAML configuration files (yaml-cpp). Stages read their own keys from the returned node; any
// parse problem, or a key of the wrong type, is a ConfigError naming the file, key and line.
#include <filesystem>
#include <string>

#include "ethovid/core/error.hpp"

#include <yaml-cpp/yaml.h>

namespace ethovid::core {

YAML::Node load_yaml(const std::filesystem::path& path);

// Rejects keys a stage does not know (a typo must not pass silently): ConfigError naming the
// file, the key and the keys that are allowed.
void check_known_keys(const YAML::Node& map, const std::filesystem::path& file,
                      const std::string& where, std::initializer_list<const char*> allowed);

// A scalar of type T at `node`, or a ConfigError naming the file, the key and its line.
template <typename T>
T yaml_scalar(const YAML::Node& node, const std::filesystem::path& file, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(file.string() + ": key '" + key + "' (line " + std::to_string(node.Mark().line + 1) +
                      ") has the wrong type");
  }
}

}  // namespace ethovid::core
