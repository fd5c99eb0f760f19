#include "ethovid/core/atomic_file.hpp"

#include <fstream>
#include <random>

#include "ethovid/core/error.hpp"
#include "ethovid/core/scratch_files.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

fs::path temp_path_for(const fs::path& destination) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on `"." + string + ...` here.
  std::string name(1, '.');
  name += destination.filename().string();
  // The writer's pid in the name lets a later run sweep what a killed run left (scratch_files.hpp).
  name += scratch_marker();
  name += std::to_string(rng());
  return destination.parent_path() / name;
}

void write_atomically(const fs::path& destination,
                      const std::function<void(const fs::path&)>& write) {
  const fs::path temp = temp_path_for(destination);
  const ScratchFile scratch(temp);  // an interrupt removes it; the rename or the catch otherwise
  try {
    write(temp);
    fs::rename(temp, destination);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

void write_text_atomically(const fs::path& destination, std::string_view contents) {
  write_atomically(destination, [&](const fs::path& temp) {
    std::ofstream out(temp, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) throw Error("could not write " + destination.string() + " (disk full or no permission?)");
  });
}

}  // namespace ethovid::core
