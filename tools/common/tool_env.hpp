#pragma once
// What every shim's run function gets from main (or from a test): where to
// print, where the daemon is, who is calling, and how a SIGINT is noticed.
#include <csignal>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tools/common/control_client.hpp"

namespace umi::tools {

struct tool_env {
  std::ostream& out;
  std::ostream& err;
  std::string socket_path;
  unsigned uid = 0;
  // Read end of a self-pipe written by the SIGINT handler (-1: none). ping6
  // polls it together with the control socket (route monitor too).
  int interrupt_fd = -1;
  // Reverse lookup for tools that print names (traceroute, arp): numeric
  // address -> host name, "" when there is none. Empty: getnameinfo with
  // NI_NAMEREQD. Tests plug in a table so no DNS is consulted.
  std::function<std::string(const std::string&)> reverse_lookup;
};

// A command line that does not parse: `message` is printed as
// "<prog>: message" (when non-empty; as is when raw), then the usage text
// when show_usage; the tool exits with `status`.
struct cmd_error {
  std::string message;
  bool show_usage = false;
  bool raw = false;  // KAME printed it without the program name
  int status = 1;
};

inline cmd_error usage_error() {
  return cmd_error{"", true};
}
inline cmd_error fatal(std::string m) {
  return cmd_error{std::move(m), false};
}

// Removes every "--json" from args; true when there was one.
bool take_json_flag(std::vector<std::string>& args);

// Connects and says hello. On failure prints
// "<prog>: cannot connect to umigamed at <path>: <strerror> (is umigamed running?)"
// or "<prog>: <message>" and returns nothing.
std::optional<control_client> open_session(std::string_view prog, const tool_env& env);

// "<prog>: <message>\n" on env.err.
void print_error(std::string_view prog, const tool_env& env, std::string_view message);

// Prints a parser error (message, then `usage` when asked) and returns its status.
int report_cmd_error(std::string_view prog, const tool_env& env, const cmd_error& e,
                     std::string_view usage);

// env.reverse_lookup, or getnameinfo(NI_NAMEREQD) of a numeric address; "" when
// the address has no name.
std::string reverse_name(const tool_env& env, const std::string& numeric);

}  // namespace umi::tools
