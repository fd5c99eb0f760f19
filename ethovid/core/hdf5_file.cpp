#include "ethovid/core/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <functional>
#include <numeric>

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"

namespace ethovid::core {

namespace {

// One HDF5 identifier, closed by the function that matches its kind.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// HDF5 prints its own error stack by default; we report errors ourselves.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::vector<std::int64_t> shape_of(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::int64_t count_of(const std::vector<std::int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

}  // namespace

std::int64_t Hdf5Array::size() const { return count_of(shape); }

Hdf5File::Hdf5File(const std::filesystem::path& path) : path_(path), file_(-1) {
  silence_hdf5();
  require_input_file(path, path.string() + " does not exist");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw FormatError(path.string() + " is not an HDF5 file");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw FormatError(path.string() + ": HDF5 cannot open it");
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(file_);
}

bool Hdf5File::has(const std::string& object) const {
  if (object == "/") return true;
  // Every parent must exist before H5Lexists may be asked about a child.
  std::string prefix;
  std::size_t start = object.front() == '/' ? 1 : 0;
  while (start <= object.size()) {
    const std::size_t slash = object.find('/', start);
    prefix = object.substr(0, slash);
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return H5Oexists_by_name(file_, object.c_str(), H5P_DEFAULT) > 0;
}

bool Hdf5File::is_group(const std::string& object) const {
  if (!has(object)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(file_, object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> Hdf5File::children(const std::string& group) const {
  if (!is_group(group)) throw FormatError(path_.string() + " has no group " + group);
  Handle g(H5Gopen2(file_, group.c_str(), H5P_DEFAULT), H5Gclose);
  H5G_info_t info;
  H5Gget_info(g.get(), &info);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<std::size_t>(std::max<ssize_t>(length, 0)), '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

Handle open_dataset(hid_t file, const std::filesystem::path& path, const std::string& name, const Hdf5File& owner) {
  if (!owner.has(name) || owner.is_group(name)) throw FormatError(path.string() + " has no dataset " + name);
  return Handle(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
}

}  // namespace

Hdf5Array Hdf5File::read_numbers(const std::string& name) const {
  const Handle dataset = open_dataset(file_, path_, name, *this);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  const H5T_class_t kind = H5Tget_class(type.get());
  if (kind != H5T_INTEGER && kind != H5T_FLOAT && kind != H5T_ENUM) {
    throw FormatError(path_.string() + ": dataset " + name + " is not numeric");
  }
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  Hdf5Array out;
  out.shape = shape_of(space.get());
  out.values.resize(static_cast<std::size_t>(out.size()));
  if (!out.values.empty() &&
      H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    throw FormatError(path_.string() + ": cannot read dataset " + name + " as numbers");
  }
  return out;
}

std::vector<std::string> Hdf5File::field_names(const std::string& name) const {
  const Handle dataset = open_dataset(file_, path_, name, *this);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_COMPOUND) throw FormatError(path_.string() + ": dataset " + name + " is not a table");
  std::vector<std::string> names;
  for (int i = 0; i < H5Tget_nmembers(type.get()); ++i) {
    char* member = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    names.emplace_back(member);
    H5free_memory(member);
  }
  return names;
}

std::vector<double> Hdf5File::read_field(const std::string& name, const std::string& field) const {
  Hdf5Array column = read_column(name, field);
  if (column.shape.size() != 1) {
    throw FormatError(path_.string() + ": column '" + field + "' of " + name + " holds an array per row");
  }
  return std::move(column.values);
}

Hdf5Array Hdf5File::read_column(const std::string& name, const std::string& field) const {
  const auto fields = field_names(name);
  const auto found = std::find(fields.begin(), fields.end(), field);
  if (found == fields.end()) throw FormatError(path_.string() + ": table " + name + " has no column '" + field + "'");
  const Handle dataset = open_dataset(file_, path_, name, *this);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  const Handle member(H5Tget_member_type(type.get(), static_cast<unsigned>(found - fields.begin())), H5Tclose);
  Hdf5Array out;
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  out.shape = {count_of(shape_of(space.get()))};
  std::vector<hsize_t> dims;
  if (H5Tget_class(member.get()) == H5T_ARRAY) {
    dims.resize(static_cast<std::size_t>(H5Tget_array_ndims(member.get())));
    H5Tget_array_dims2(member.get(), dims.data());
    for (hsize_t d : dims) out.shape.push_back(static_cast<std::int64_t>(d));
  }
  const std::int64_t per_row = out.size() / std::max<std::int64_t>(out.shape[0], 1);
  // A memory type with just this field: HDF5 picks it out of each row by name and converts it.
  const Handle element(dims.empty() ? H5Tcopy(H5T_NATIVE_DOUBLE)
                                    : H5Tarray_create2(H5T_NATIVE_DOUBLE, static_cast<unsigned>(dims.size()), dims.data()),
                       H5Tclose);
  const Handle memory(H5Tcreate(H5T_COMPOUND, sizeof(double) * static_cast<std::size_t>(per_row)), H5Tclose);
  H5Tinsert(memory.get(), field.c_str(), 0, element.get());
  out.values.resize(static_cast<std::size_t>(out.size()));
  if (!out.values.empty() && H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    throw FormatError(path_.string() + ": cannot read column '" + field + "' of " + name + " as numbers");
  }
  return out;
}

namespace {

// Strings of a dataset or attribute of string type `type` over `count` elements; `read` fills a
// buffer of the given memory type.
std::vector<std::string> read_string_values(hid_t type, std::int64_t count,
                                            const std::function<herr_t(hid_t, void*)>& read,
                                            const std::string& what) {
  if (H5Tget_class(type) != H5T_STRING) throw FormatError(what + " is not text");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type) > 0) {
    const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type));
    std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
    if (count > 0 && read(memory.get(), pointers.data()) < 0) throw FormatError("cannot read " + what);
    for (char* p : pointers) {
      out.emplace_back(p ? p : "");
      free(p);  // NOLINT: HDF5 allocated it with malloc
    }
    return out;
  }
  const std::size_t width = H5Tget_size(type);
  const Handle memory(H5Tcopy(type), H5Tclose);
  std::vector<char> buffer(width * static_cast<std::size_t>(count));
  if (count > 0 && read(memory.get(), buffer.data()) < 0) throw FormatError("cannot read " + what);
  for (std::int64_t i = 0; i < count; ++i) {
    std::string s(buffer.data() + i * width, width);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());  // fixed-width strings are padded
    out.push_back(s);
  }
  return out;
}

}  // namespace

std::vector<std::string> Hdf5File::read_strings(const std::string& name) const {
  const Handle dataset = open_dataset(file_, path_, name, *this);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const std::int64_t count = count_of(shape_of(space.get()));
  return read_string_values(
      type.get(), count,
      [&](hid_t memory, void* buffer) { return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer); },
      path_.string() + ": dataset " + name);
}

bool Hdf5File::has_attribute(const std::string& object, const std::string& name) const {
  return has(object) && H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::string Hdf5File::string_attribute(const std::string& object, const std::string& name) const {
  const std::string what = path_.string() + ": attribute '" + name + "' of " + object;
  if (!has_attribute(object, name)) throw FormatError(path_.string() + ": " + object + " has no attribute '" + name + "'");
  const Handle attribute(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  const auto values = read_string_values(
      type.get(), count_of(shape_of(space.get())),
      [&](hid_t memory, void* buffer) { return H5Aread(attribute.get(), memory, buffer); }, what);
  if (values.empty()) throw FormatError(what + " is empty");
  return values.front();
}

double Hdf5File::number_attribute(const std::string& object, const std::string& name) const {
  if (!has_attribute(object, name)) throw FormatError(path_.string() + ": " + object + " has no attribute '" + name + "'");
  const Handle attribute(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const H5T_class_t kind = H5Tget_class(type.get());
  if (kind != H5T_INTEGER && kind != H5T_FLOAT) {
    throw FormatError(path_.string() + ": attribute '" + name + "' of " + object + " is not a number");
  }
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  std::vector<double> values(static_cast<std::size_t>(std::max<std::int64_t>(1, count_of(shape_of(space.get())))));
  H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data());
  return values.front();
}

}  // namespace ethovid::core
