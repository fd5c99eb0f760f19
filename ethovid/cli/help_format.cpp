#include "ethovid/cli/help_format.hpp"

namespace ethovid::cli {

namespace {

// CLI11's names for the types of numeric options, and the format shown instead.
std::string value_format(const std::string& type) {
  if (type == "INT" || type == "UINT") return "N";
  if (type == "FLOAT") return "X";
  return type;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string HelpFormatter::make_option_name(const CLI::Option* option, bool positional) const {
  std::string name = CLI::Formatter::make_option_name(option, positional);
  // A flag's default value, appended to each of its names as "{value}".
  for (auto open = name.find('{'); open != std::string::npos; open = name.find('{', open)) {
    const auto close = name.find('}', open);
    if (close == std::string::npos) break;
    name.erase(open, close - open + 1);
  }
  return name;
}

std::string HelpFormatter::make_option_opts(const CLI::Option* option) const {
  std::string opts = CLI::Formatter::make_option_opts(option);
  const std::string type = option->get_type_name();
  // CLI11 starts with " TYPE" when the option takes a value and no option text replaces it.
  if (type.empty() || option->get_type_size() == 0 || opts.rfind(" " + type, 0) != 0) return opts;
  std::string format = value_format(type);
  if (option->get_positional() && format == option->get_name(true, false)) format.clear();
  std::string rest = opts.substr(1 + type.size());
  if (ends_with(format, "...") && rest.rfind(" ...", 0) == 0) rest.erase(0, 4);
  return (format.empty() ? "" : " " + format) + rest;
}

}  // namespace ethovid::cli
