#include "ethovid/core/output_folder.hpp"

#include <system_error>

#include "ethovid/core/error.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

OutputFolder::OutputFolder(const fs::path& path) : path_(path) {
  std::error_code ec;
  for (fs::path p = fs::absolute(path, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_.insert(created_.begin(), p);
    if (p == p.parent_path()) break;
  }
  for (const auto& folder : created_) {
    registered_.push_back(std::make_unique<ScratchFile>(folder, ScratchFile::Kind::kEmptyFolder));
  }
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) {
    throw Error("cannot create output folder " + path.string() + ": " +
                (ec ? ec.message() : "a file of that name is in the way"));
  }
  sweep_stale_scratch(path);
}

OutputFolder::~OutputFolder() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    std::error_code ec;
    if (!fs::is_empty(*it, ec) || ec) break;  // written into: the run succeeded or left outputs
    fs::remove(*it, ec);
  }
}

}  // namespace ethovid::core
