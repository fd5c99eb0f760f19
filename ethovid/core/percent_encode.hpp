#pragma once
// Percent-encoding for URLs (RFC 3986): every byte but the unreserved ones (letters, digits,
// - . _ ~) and those in `keep` becomes %XX, upper-case hex.
#include <string>
#include <string_view>

namespace ethovid::core {

std::string percent_encode(std::string_view text, std::string_view keep = "");

}  // namespace ethovid::core
