#pragma once
// What a command does on Ctrl-C (SIGINT) or SIGTERM: remove its registered scratch files and the
// empty output folders it created (core/scratch_files.hpp), print one line on stderr and exit
// with 128 + the signal (130 for SIGINT, 143 for SIGTERM), the shell's convention.
//
// Outputs already renamed into place stay (each is complete); an output being written is only a
// temporary name, which goes. Installed once by the CLI's main; a command that handles signals
// itself (serve) blocks them, which keeps this handler out of its way.
namespace ethovid::core {

inline constexpr int kExitInterrupted = 130;  // SIGINT
inline constexpr int kExitTerminated = 143;   // SIGTERM

// Installs the handler for SIGINT and SIGTERM.
void install_interrupt_handlers();

// The line printed on an interrupt (without the newline); `line` must outlive the process, e.g. a
// string literal. A command whose work survives an interrupt says how to continue it.
void set_interrupt_message(const char* line);

}  // namespace ethovid::core
