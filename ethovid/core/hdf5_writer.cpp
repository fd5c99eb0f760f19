#include "ethovid/core/hdf5_writer.hpp"

#include <hdf5.h>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

Hdf5Writer::Hdf5Writer(const fs::path& destination) : destination_(destination), temp_(temp_path_for(destination)) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (!destination.parent_path().empty()) fs::create_directories(destination.parent_path());
  file_ = H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw ComputationError("cannot create the HDF5 file " + temp_.string());
}

Hdf5Writer::~Hdf5Writer() {
  if (file_ >= 0) H5Fclose(file_);
  if (!committed_) {
    std::error_code ignored;
    fs::remove(temp_, ignored);
  }
}

void Hdf5Writer::make_parents(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    create_group(path.substr(0, slash));
  }
}

void Hdf5Writer::create_group(const std::string& group) {
  if (group.empty() || group == "/") return;
  if (H5Lexists(file_, group.c_str(), H5P_DEFAULT) > 0) return;
  make_parents(group);
  const hid_t g = H5Gcreate2(file_, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw ComputationError(temp_.string() + ": cannot create group " + group);
  H5Gclose(g);
}

void Hdf5Writer::write(const std::string& dataset, const std::vector<std::int64_t>& shape, std::int64_t file_type,
                       std::int64_t memory_type, const void* values) {
  make_parents(dataset);
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t set = H5Dcreate2(file_, dataset.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t status = set < 0 ? -1 : 0;
  std::int64_t count = 1;
  for (auto d : shape) count *= d;
  if (status >= 0 && count > 0) status = H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  if (set >= 0) H5Dclose(set);
  H5Sclose(space);
  if (status < 0) throw ComputationError(temp_.string() + ": cannot write dataset " + dataset);
}

void Hdf5Writer::write_doubles(const std::string& dataset, const std::vector<std::int64_t>& shape, const double* values) {
  write(dataset, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values);
}

void Hdf5Writer::write_floats(const std::string& dataset, const std::vector<std::int64_t>& shape, const double* values) {
  write(dataset, shape, H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, values);  // HDF5 converts
}

void Hdf5Writer::write_ints(const std::string& dataset, const std::vector<std::int64_t>& shape, const std::int64_t* values) {
  write(dataset, shape, H5T_STD_I64LE, H5T_NATIVE_INT64, values);
}

void Hdf5Writer::set_attribute(const std::string& object, const std::string& name, const std::string& value) {
  create_group(object == "/" ? "" : object);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate_by_name(file_, object.c_str(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char* text = value.c_str();
  const herr_t status = attribute < 0 ? -1 : H5Awrite(attribute, type, &text);
  if (attribute >= 0) H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
  if (status < 0) throw ComputationError(temp_.string() + ": cannot write attribute " + name + " of " + object);
}

void Hdf5Writer::set_attribute(const std::string& object, const std::string& name, double value) {
  create_group(object == "/" ? "" : object);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate_by_name(file_, object.c_str(), name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const herr_t status = attribute < 0 ? -1 : H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value);
  if (attribute >= 0) H5Aclose(attribute);
  H5Sclose(space);
  if (status < 0) throw ComputationError(temp_.string() + ": cannot write attribute " + name + " of " + object);
}

void Hdf5Writer::commit() {
  if (H5Fclose(file_) < 0) throw ComputationError("cannot finish the HDF5 file " + temp_.string());
  file_ = -1;
  fs::rename(temp_, destination_);
  committed_ = true;
}

}  // namespace ethovid::core
