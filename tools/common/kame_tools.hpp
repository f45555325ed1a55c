#pragma once
// Entry points of the KAME shims. Each takes its arguments without the
// program name, talks to umigamed through env.socket_path and returns the exit
// status; nothing throws out of them. tools/kame/main.cpp only picks one.
#include <string>
#include <vector>

#include "tools/common/tool_env.hpp"

namespace umi::tools {

int run_ifconfig(std::vector<std::string> args, const tool_env& env);
int run_ndp(std::vector<std::string> args, const tool_env& env);
int run_ping6(std::vector<std::string> args, const tool_env& env);
int run_netstat(std::vector<std::string> args, const tool_env& env);
int run_route(std::vector<std::string> args, const tool_env& env);
int run_prefix(std::vector<std::string> args, const tool_env& env);
int run_sysctl(std::vector<std::string> args, const tool_env& env);
int run_arp(std::vector<std::string> args, const tool_env& env);
int run_traceroute6(std::vector<std::string> args, const tool_env& env);
int run_traceroute(std::vector<std::string> args, const tool_env& env);
int run_hostname(std::vector<std::string> args, const tool_env& env);
int run_rtadvd(std::vector<std::string> args, const tool_env& env);
// rtsol when `rtsol` (rtsold -f1), else rtsold.
int run_rtsold(bool rtsol, std::vector<std::string> args, const tool_env& env);

}  // namespace umi::tools
