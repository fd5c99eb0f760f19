#pragma once
// SIGINT and SIGTERM for the commands that end cleanly on a signal (serve, focus run, focus
// serve): the signals go to one waiting thread, not to whichever thread they hit. The first calls
// `on_first` (stop the server, ask the loop to stop); a second, while that takes long, ends the
// program at once with 128 + the signal.
#include <atomic>
#include <functional>
#include <thread>

namespace ethovid::cli {

class SignalWaiter {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread, so threads started after inherit the mask.
  // Call it before starting any thread; the constructor calls it too.
  static void block_signals();

  explicit SignalWaiter(std::function<void()> on_first);
  ~SignalWaiter();  // stops waiting (the command ended by itself)
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

 private:
  std::atomic<bool> ending_{false};
  std::thread thread_;
};

}  // namespace ethovid::cli
