// What main() says when CLI11 refuses a command line: CLI11's own words, except that arguments
// it did not expect are named as unknown commands or options, with the nearest valid name.
#include <algorithm>
#include <sstream>
#include <vector>

#include "ethovid/cli/commands.hpp"

namespace ethovid::cli {

namespace {

// Edit distance with adjacent transpositions ("fsp" -> "fps" is one edit).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The command the user got to: the deepest subcommand that was parsed.
const CLI::App* reached(const CLI::App& app) {
  const CLI::App* at = &app;
  for (auto parsed = at->get_subcommands(); !parsed.empty(); parsed = at->get_subcommands()) at = parsed.front();
  return at;
}

// The valid name nearest to `word`, when it is near enough to be a slip.
std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best_distance) best = name, best_distance = d;
  }
  return best;
}

}  // namespace

std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  const std::string message = error.what();
  const CLI::App* at = reached(app);
  const std::string where = at == &app ? std::string("ethovid") : "ethovid ... " + at->get_name();
  std::vector<std::string> commands, options;
  for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) commands.push_back(sub->get_name());
  for (const CLI::Option* option : at->get_options()) {
    for (const auto& name : option->get_lnames()) options.push_back("--" + name);
  }
  // What CLI11 could not place: an unknown command (the words after it are its arguments), or
  // unknown options (a word after an unknown option is taken as its value, not named again).
  const std::vector<std::string> left = at->remaining();
  std::vector<std::string> unknown;
  const bool any_option = std::any_of(left.begin(), left.end(), [](const std::string& w) { return w.rfind("-", 0) == 0; });
  for (const auto& word : left) {
    if (!any_option || word.rfind("-", 0) == 0) unknown.push_back(word);
  }
  if (!any_option && !commands.empty() && unknown.size() > 1) unknown.resize(1);  // the rest are its arguments
  if (unknown.empty()) return message + " (" + where + " --help shows the usage)";
  std::string out;
  for (const auto& word : unknown) {
    const bool option = word.rfind("-", 0) == 0;
    if (!out.empty()) out += "; ";
    out += std::string(option ? "unknown option '" : !commands.empty() ? "unknown command '" : "unexpected argument '") +
           word + "'";
    const std::string guess = nearest(option ? word.substr(0, word.find('=')) : word, option ? options : commands);
    if (!guess.empty()) out += "; did you mean '" + guess + "'?";
  }
  return out + " (" + where + " --help lists what it takes)";
}

}  // namespace ethovid::cli
