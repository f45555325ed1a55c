#pragma once
// umigamed's TOML configuration (see config/umigamed.toml.example).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/result.hpp"

namespace umi::control {

enum class hugepage_mode : std::uint8_t { automatic, on, off };
enum class idle_mode : std::uint8_t { adaptive, poll };

struct port_config {
  std::string name;  // KAME interface name, e.g. "de0"
  std::string vdev;  // DPDK vdev arguments, e.g. "net_af_packet0,iface=veth0"
  std::string pci;   // or a PCI address
  unsigned queues = 1;
  int line = 0;  // where it was declared, for error messages
};

struct daemon_config {
  std::string path;
  std::string socket = "/run/umigame/umigamed.sock";
  std::string file_prefix = "umigame";
  hugepage_mode hugepages = hugepage_mode::automatic;
  unsigned memory_mb = 512;
  std::vector<unsigned> worker_lcores{1};
  idle_mode idle = idle_mode::adaptive;
  std::string hostname = "umigame";
  std::string startup;  // optional rc.net6-style script
  std::string log_level = "info";
  std::vector<port_config> ports;

  bool vdev_only() const {
    for (const auto& p : ports)
      if (!p.pci.empty()) return false;
    return true;
  }
};

// Parses and validates. Errors are one line: "FILE:LINE: what".
result<daemon_config, std::string> load_daemon_config(const std::string& path);
result<daemon_config, std::string> parse_daemon_config(const std::string& text,
                                                       const std::string& path);

// "1-3,5" -> {1,2,3,5}
std::optional<std::vector<unsigned>> parse_lcore_list(const std::string& s);

}  // namespace umi::control
