#pragma once
// DPDK ethdev ports: EAL argument construction from the daemon config, port
// lookup by vdev/PCI name, queue setup, and link state. The only place besides
// stack/pipeline that speaks rte_ethdev.
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/result.hpp"
#include "stack/control/daemon_config.hpp"

namespace umi::drivers {

struct eal_plan {
  std::vector<std::string> args;
  bool hugepages = false;
  std::string memory_note;  // reported at start
};

// Decides hugepages vs --no-huge and builds the EAL argv. Fails for
// hugepages = "on" without free hugepages, and for a vdev naming a missing
// kernel interface (iface=...).
result<eal_plan, std::string> plan_eal(const control::daemon_config& cfg);

struct port_info {
  std::string name;  // KAME name
  std::uint16_t port_id = 0;
  mac_addr mac;
  unsigned mtu = 1500;
  unsigned queues = 1;       // RX = TX queue pairs configured
  std::string kernel_iface;  // the kernel interface under an af_packet/af_xdp vdev
};

// Finds and starts every configured port with `queues` RX queues and at
// least `tx_queues` TX queues, promiscuous + all-multicast.
result<std::vector<port_info>, std::string> setup_ports(const control::daemon_config& cfg,
                                                        unsigned tx_queues, rte_mempool* pool);
void stop_ports(const std::vector<port_info>& ports);

struct link_state {
  bool up = false;
  std::uint32_t speed_mbps = 0;
};
link_state read_link(std::uint16_t port_id);
// The same, with the carrier of the kernel interface under a vdev: PMDs such
// as net_af_packet report their link up forever, whatever the veth does.
link_state read_link(const port_info& port);

// The vdev's device name (text before the first comma).
std::string vdev_name(const std::string& vdev);

}  // namespace umi::drivers
