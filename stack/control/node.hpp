#pragma once
// The node: the control thread's view of the router as an IPv6 host —
// interfaces and their addresses, DAD, the neighbour cache, ICMPv6 (echo,
// errors), and the slow path for packets the workers punt to it. EAL-free:
// time, randomness and transmission are injected, so tests drive it with a
// manual clock and capture what it sends.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/clock.hpp"
#include "stack/base/result.hpp"
#include "stack/base/rng.hpp"
#include "stack/control/stats.hpp"
#include "stack/icmp/error_rules.hpp"
#include "stack/nd/neighbor_cache.hpp"

namespace umi::node {

enum class errc : std::uint8_t {
  enxio,
  einval,
  eexist,
  esrch,
  eaddrnotavail,
  enetunreach,
  ehostunreach,
  enetdown
};
const char* errc_name(errc e) noexcept;  // "ENXIO", ...

struct node_error {
  errc code;
  std::string message;
};
template <class T>
using node_result = result<T, node_error>;

struct addr_entry {
  ip6_addr addr;
  unsigned plen = 64;
  bool anycast = false;
  bool tentative = false;
  bool duplicated = false;
  bool deprecated = false;
  bool autoconf = false;
  // DAD progress (RFC 4862 §5.4).
  bool dad_running = false;
  unsigned dad_ns_left = 0;
  time_point dad_next{};
};

struct interface {
  std::string name;
  unsigned index = 0;  // 1-based, as KAME's if_index
  unsigned port = 0;   // DPDK port id
  mac_addr mac;
  unsigned mtu = 1500;
  bool up = true;
  bool link = true;  // carrier
  std::uint32_t speed_mbps = 10000;
  std::vector<addr_entry> addrs;

  bool usable() const noexcept { return up && link; }
  const addr_entry* find(const ip6_addr& a) const noexcept;
  addr_entry* find(const ip6_addr& a) noexcept;
  std::set<ip6_addr> groups() const;  // joined multicast groups
};

struct node_config {
  std::string hostname = "umigame";
  nd::nd_params nd;
  unsigned dad_count = 1;       // net.inet6.ip6.dad_count
  std::uint8_t hop_limit = 64;  // net.inet6.ip6.hlim
  unsigned icmp6_errppslimit = 100;
  bool forwarding = false;  // net.inet6.ip6.forwarding (router flag in NAs)
};

struct echo_event {
  std::uint16_t ident = 0;
  std::uint16_t seq = 0;
  ip6_addr from;
  ip6_addr to;
  unsigned ifindex = 0;
  std::uint8_t hlim = 0;
  std::size_t len = 0;  // ICMPv6 length
  std::vector<std::uint8_t> payload;
};

struct icmp_error_event {
  std::uint16_t ident = 0;
  std::uint16_t seq = 0;
  ip6_addr from;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t mtu = 0;
};

struct node_env {
  const clock_source* clock = nullptr;
  rng* random = nullptr;
  // Transmit one Ethernet frame on a port.
  std::function<void(unsigned port, std::vector<std::uint8_t> frame)> tx;
  // Interfaces, addresses or groups changed: the data path must be recompiled.
  std::function<void()> changed;
  std::function<void(const echo_event&)> echo_reply;
  std::function<void(const icmp_error_event&)> icmp_error;
  std::function<void(const std::string&)> log;
};

// Counters the control thread owns (the workers own the rest).
struct node_counters {
  std::array<std::uint64_t, static_cast<std::size_t>(stats::ip6::count_)> ip6{};
  std::array<std::uint64_t, static_cast<std::size_t>(stats::icmp6::count_)> icmp6{};
  std::array<std::uint64_t, 256> ip6_in_hist{};
  std::array<std::uint64_t, 256> icmp6_in_hist{};
  std::array<std::uint64_t, 256> icmp6_out_hist{};
  void inc(stats::ip6 s) { ++ip6[static_cast<std::size_t>(s)]; }
  void inc(stats::icmp6 s) { ++icmp6[static_cast<std::size_t>(s)]; }
};

struct send_request {
  ip6_addr dst;
  unsigned ifindex = 0;         // 0: chosen from the destination
  std::optional<ip6_addr> src;  // default: RFC 6724 selection
  std::optional<std::uint8_t> hop_limit;
  std::uint8_t next_header = 58;
  std::vector<std::uint8_t> payload;  // upper-layer message; ICMPv6 checksum filled here
};

struct send_result {
  ip6_addr src;
  unsigned ifindex = 0;
};

class node {
 public:
  node(node_config cfg, node_env env);

  // Interfaces are created by the daemon from its port list.
  unsigned add_interface(const std::string& name, unsigned port, const mac_addr& mac, unsigned mtu);
  interface* find_interface(std::string_view name);
  interface* interface_by_index(unsigned ifindex);
  interface* interface_by_port(unsigned port);
  const std::vector<interface>& interfaces() const { return ifs_; }
  void set_link(unsigned ifindex, bool link_up, std::uint32_t speed_mbps);

  // Control operations (KAME ifconfig / ndp).
  node_result<ok_t> set_up(std::string_view ifname, bool up);
  struct addr_params {
    unsigned plen = 64;
    bool alias = true;
    bool anycast = false;
  };
  node_result<ok_t> add_address(std::string_view ifname, const ip6_addr& a, addr_params p);
  node_result<ok_t> delete_address(std::string_view ifname, const ip6_addr& a);
  node_result<ok_t> set_neighbor(unsigned ifindex, const ip6_addr& a, const mac_addr& mac,
                                 bool temp);
  node_result<ok_t> delete_neighbor(unsigned ifindex, const ip6_addr& a);
  std::vector<nd::neighbor> flush_neighbors() { return nc_.flush(); }
  const nd::neighbor_cache& neighbors() const { return nc_; }
  // Interface on which `a` is on-link (zone for link-local), or 0.
  unsigned onlink_interface(const ip6_addr& a) const;

  // Originate an IPv6 packet (ping6, errors, NDP).
  node_result<send_result> send(send_request r);

  // Slow path: a frame the workers punted (Ethernet header included).
  void input(unsigned port, bytes frame);
  // Timers (DAD, NUD). Call every few tens of milliseconds.
  void tick();

  const node_counters& counters() const { return counters_; }
  const node_config& config() const { return cfg_; }
  node_config& mutable_config() { return cfg_; }
  time_point now() const { return env_.clock->now(); }

 private:
  void start_dad(interface& ifp, addr_entry& a);
  void assign_link_local(interface& ifp);
  void dad_failed(interface& ifp, addr_entry& a, const char* why);
  void deliver(interface& ifp, bytes ip6pkt, bool l2_multicast);
  void icmp_input(interface& ifp, bytes ip6pkt, std::size_t off, bool l2_multicast);
  void ns_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                bytes msg);
  void na_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                bytes msg);
  void error_input(bytes msg, const ip6_addr& from);
  void send_error(interface& ifp, bytes offending, bool l2_multicast, std::uint8_t type,
                  std::uint8_t code, std::uint32_t param);
  void send_ns(unsigned ifindex, const ip6_addr& target, std::optional<mac_addr> dst_mac, bool dad);
  void send_na(interface& ifp, const ip6_addr& dst, const ip6_addr& target, bool solicited,
               bool override_flag);
  // Builds Ethernet + IPv6 around `payload` and transmits to `dst_mac`.
  void emit(interface& ifp, const mac_addr& dst_mac, std::vector<std::uint8_t> ip6pkt);
  std::vector<std::uint8_t> build_ip6(const ip6_addr& src, const ip6_addr& dst, std::uint8_t nh,
                                      std::uint8_t hlim, std::vector<std::uint8_t> payload);
  bool is_our_address(const ip6_addr& a, const interface** ifp = nullptr) const;
  void log(const std::string& s) const {
    if (env_.log) env_.log(s);
  }
  void changed() const {
    if (env_.changed) env_.changed();
  }

  node_config cfg_;
  node_env env_;
  std::vector<interface> ifs_;
  nd::neighbor_cache nc_;
  icmp::rate_limiter err_limit_;
  node_counters counters_;
};

}  // namespace umi::node
