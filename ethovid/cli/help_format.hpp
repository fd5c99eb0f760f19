#pragma once
// How every command's --help shows its options: the format of a value (N, X, FILE, DIR, LO,HI,
// X,Y,W,H, ...) instead of CLI11's C++ type names, and flags without CLI11's "{false}" suffix.
// Options whose value is text say their format where they are added, with ->type_name("FILE").
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace ethovid::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  // "--no-motion-svd{false}" (a negated flag) is shown as "--no-motion-svd".
  std::string make_option_name(const CLI::Option* option, bool positional) const override;
  // INT, UINT -> N; FLOAT -> X; a positional whose name is its format ("DIR DIR") shows it once;
  // a format that ends in "..." (e.g. "COL,...") is not followed by CLI11's own " ...".
  std::string make_option_opts(const CLI::Option* option) const override;
};

// Install before adding subcommands: they take their parent's formatter when they are made.
// The name column is wide enough for "VIDEO FILE|PATTERN REQUIRED" and its description.
inline void use_help_formatter(CLI::App& app) {
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->column_width(32);
  app.formatter(formatter);
}

}  // namespace ethovid::cli
