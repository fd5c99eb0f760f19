#pragma once
// Wall-clock seconds since a steady_clock time point: the timings in summaries and benchmarks.
#include <chrono>

namespace ethovid::core {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ethovid::core
