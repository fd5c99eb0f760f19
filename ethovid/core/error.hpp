#pragma once
// Typed errors. Every message names the file and the numbers that disagree, e.g.
//   TimestampAlignmentError: cam_face.csv has 1790 rows, video has 1800 frames
// The CLI prints `kind(): what()` on one line and exits with exit_code(): 2 for bad input,
// 3 when a computation failed, 4 when the work was refused or stopped on request.
// Programming bugs are asserts, never these.
#include <stdexcept>
#include <string>

namespace ethovid {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  virtual const char* kind() const noexcept { return "Error"; }
  virtual int exit_code() const noexcept { return 2; }
};

#define ETHOVID_ERROR_TYPE(Name, Base, code)                           \
  class Name : public Base {                                           \
   public:                                                             \
    using Base::Base;                                                  \
    const char* kind() const noexcept override { return #Name; }       \
    int exit_code() const noexcept override { return code; }           \
  };

// Bad input (exit 2).
ETHOVID_ERROR_TYPE(MissingInputError, Error, 2)
ETHOVID_ERROR_TYPE(ConfigError, Error, 2)
ETHOVID_ERROR_TYPE(TimestampAlignmentError, Error, 2)
ETHOVID_ERROR_TYPE(FormatError, Error, 2)
ETHOVID_ERROR_TYPE(NpyFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(PickleFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(MatFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(ParquetFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(VideoFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(FacemapFormatError, FormatError, 2)
ETHOVID_ERROR_TYPE(ModelFormatError, FormatError, 2)
// Two inputs that each read fine but do not belong together (tracks made from another video).
ETHOVID_ERROR_TYPE(InputMismatchError, Error, 2)
// A path that resolves outside the folder a server may touch (HTTP 403).
ETHOVID_ERROR_TYPE(AccessError, Error, 2)
// The computation ran but its result is not trustworthy (exit 3).
ETHOVID_ERROR_TYPE(ComputationError, Error, 3)
ETHOVID_ERROR_TYPE(MetricsRangeError, Error, 3)
// Refused or stopped on request (exit 4): a full job queue, a cancelled job.
ETHOVID_ERROR_TYPE(BusyError, Error, 4)
ETHOVID_ERROR_TYPE(CancelledError, Error, 4)

#undef ETHOVID_ERROR_TYPE

}  // namespace ethovid
