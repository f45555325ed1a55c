#pragma once
// The umigamed runtime: EAL, ports, workers, the control thread's io_context
// and everything wired between them. main() only parses argv and calls run().
#include <string>

namespace umi::daemon {

// Runs in the foreground until SIGTERM/SIGINT. Returns the process exit code.
int run(const std::string& config_path);

}  // namespace umi::daemon
