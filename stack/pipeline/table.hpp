#pragma once
// The immutable table the workers read: compiled by the control thread from
// the node's interfaces and published by RCU. Never modified once published.
#include <cstdint>
#include <vector>

#include "stack/base/addr.hpp"

namespace umi::pipeline {

struct port_table {
  bool present = false;
  bool up = false;
  mac_addr mac;
  std::vector<ip6_addr> unicast;  // every address on the interface (incl. tentative)
  std::vector<ip6_addr> groups;   // joined multicast groups
};

struct dataplane_table {
  std::vector<port_table> ports;  // indexed by DPDK port id
  std::uint64_t generation = 0;
};

}  // namespace umi::pipeline
