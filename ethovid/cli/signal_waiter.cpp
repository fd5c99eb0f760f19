#include "ethovid/cli/signal_waiter.hpp"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>

namespace ethovid::cli {

namespace {

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void SignalWaiter::block_signals() {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

SignalWaiter::SignalWaiter(std::function<void()> on_first) {
  block_signals();
  thread_ = std::thread([this, on_first = std::move(on_first)] {
    const sigset_t signals = stop_signals();
    int received = 0;
    sigwait(&signals, &received);
    if (ending_) return;
    on_first();
    sigwait(&signals, &received);
    if (!ending_) std::_Exit(128 + received);
  });
}

SignalWaiter::~SignalWaiter() {
  ending_ = true;
  pthread_kill(thread_.native_handle(), SIGTERM);  // wakes it, whichever sigwait it is in
  thread_.join();
}

}  // namespace ethovid::cli
