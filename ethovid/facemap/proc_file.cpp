#include "ethovid/facemap/proc_file.hpp"

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/mat.hpp"
#include "ethovid/core/npy.hpp"

namespace ethovid::facemap {

namespace fs = std::filesystem;

ProcFile::ProcFile(const fs::path& path) : path_(path) {
  core::require_input_file(path, path.string() + ": Facemap output not found");
  const std::string ext = path.extension().string();
  if (ext == ".npy") {
    root_ = core::load_npy(path);
  } else if (ext == ".mat") {
    root_ = core::read_mat(path);
  } else {
    throw FacemapFormatError(path.string() + ": expected a Facemap *_proc.npy or *_proc.mat file");
  }
  if (!root_.is_dict()) {
    throw FacemapFormatError(path.string() + ": holds a " + root_.type_name() +
                             ", not the dict Facemap saves");
  }
}

void ProcFile::fail(const std::string& message) const {
  throw FacemapFormatError(path_.filename().string() + ": " + message);
}

const core::PyValue* ProcFile::find(const std::string& key) const { return root_.find(key); }
bool ProcFile::has(const std::string& key) const { return find(key) != nullptr || find(key + "_0"); }

std::vector<const core::PyValue*> ProcFile::list(const std::string& key) const {
  std::vector<const core::PyValue*> items;
  if (const core::PyValue* value = find(key)) {
    if (value->is_list() || value->is_tuple()) {
      for (const auto& item : value->as_list()) items.push_back(&item);
    } else if (!value->is_none()) {
      items.push_back(value);
    }
    return items;
  }
  for (int i = 0;; ++i) {
    const core::PyValue* value = find(key + "_" + std::to_string(i));
    if (!value) break;
    items.push_back(value);
  }
  return items;
}

std::vector<double> ProcFile::vector(const core::PyValue& value, const std::string& what) const {
  if (value.is_number()) return {value.as_double()};
  if (!value.is_array()) fail(what + " is a " + value.type_name() + ", expected a numeric array");
  const core::NdArray& a = value.as_array();
  int long_dims = 0;
  for (auto d : a.shape) long_dims += d > 1;
  if (long_dims > 1) fail(what + " has shape " + a.shape_string() + ", expected a 1-D trace");
  return a.to_double();
}

std::vector<double> ProcFile::matrix(const core::PyValue& value, const std::string& what,
                                     std::int64_t* rows, std::int64_t* cols) const {
  if (!value.is_array()) fail(what + " is a " + value.type_name() + ", expected a 2-D array");
  const core::NdArray& a = value.as_array();
  if (a.ndim() == 1) {
    *rows = a.shape[0];
    *cols = 1;
  } else if (a.ndim() == 2) {
    *rows = a.shape[0];
    *cols = a.shape[1];
  } else {
    fail(what + " has shape " + a.shape_string() + ", expected (frames, n)");
  }
  return a.to_double();
}

std::optional<std::int64_t> ProcFile::integer(const std::string& key) const {
  const auto items = list(key);
  if (items.empty()) return std::nullopt;
  const auto values = vector(*items.front(), key);
  if (values.empty()) return std::nullopt;
  return static_cast<std::int64_t>(values.front());
}

}  // namespace ethovid::facemap
