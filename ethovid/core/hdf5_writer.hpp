#pragma once
// Writing HDF5 files (model checkpoints, keypoint-moseq's results.h5) through the HDF5 C API.
// Datasets are created with their parent groups; nothing is visible at the destination until
// commit(), which renames the finished file over it (an abandoned writer leaves nothing behind).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ethovid/core/scratch_files.hpp"

namespace ethovid::core {

class Hdf5Writer {
 public:
  explicit Hdf5Writer(const std::filesystem::path& destination);
  ~Hdf5Writer();  // without commit(): the partial file is removed
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  // Row-major values of the given shape, stored as float64, float32 or int64.
  void write_doubles(const std::string& dataset, const std::vector<std::int64_t>& shape, const double* values);
  void write_floats(const std::string& dataset, const std::vector<std::int64_t>& shape, const double* values);
  void write_ints(const std::string& dataset, const std::vector<std::int64_t>& shape, const std::int64_t* values);
  void create_group(const std::string& group);
  // A variable-length UTF-8 string attribute on a group or dataset ("/" for the file).
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  void set_attribute(const std::string& object, const std::string& name, double value);

  void commit();

 private:
  void write(const std::string& dataset, const std::vector<std::int64_t>& shape, std::int64_t file_type,
             std::int64_t memory_type, const void* values);
  void make_parents(const std::string& path);

  std::filesystem::path destination_, temp_;
  ScratchFile scratch_{temp_};  // an interrupt removes the half-written file
  std::int64_t file_ = -1;
  bool committed_ = false;
};

}  // namespace ethovid::core
