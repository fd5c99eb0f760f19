#pragma once
// SHA-256 of files, streamed in blocks (OpenSSL EVP), so hashing an hour of video needs no
// more memory than one block.
#include <filesystem>
#include <string>
#include <string_view>

namespace ethovid::core {

// Lower-case hex digest. MissingInputError when the file cannot be opened.
std::string sha256_file(const std::filesystem::path& path);

// Hex digest of bytes in memory (used to fingerprint parameters).
std::string sha256_bytes(std::string_view bytes);

}  // namespace ethovid::core
