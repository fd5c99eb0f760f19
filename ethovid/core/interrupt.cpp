#include "ethovid/core/interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "ethovid/core/scratch_files.hpp"

namespace ethovid::core {

namespace {

std::atomic<const char*> g_message{"ethovid: interrupted; nothing was written"};

// Only async-signal-safe calls from here on: unlink/rmdir, write, _exit. Destructors do not run,
// which is why the scratch files are found through the registry instead.
extern "C" void on_interrupt(int signal_number) {
  remove_registered_scratch();
  const char* message = g_message.load();
  ssize_t ignored = write(STDERR_FILENO, message, std::strlen(message));
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  _exit(128 + signal_number);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // A second signal while the first is handled must not cut the cleanup short.
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void set_interrupt_message(const char* line) { g_message.store(line); }

}  // namespace ethovid::core
