#pragma once
// The node: the control thread's view of the router as an IPv6 host —
// interfaces and their addresses, DAD, the neighbour cache, ICMPv6 (echo,
// errors), and the slow path for packets the workers punt to it. EAL-free:
// time, randomness and transmission are injected, so tests drive it with a
// manual clock and capture what it sends.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/clock.hpp"
#include "stack/base/result.hpp"
#include "stack/base/rng.hpp"
#include "stack/control/node_ra.hpp"
#include "stack/control/routes.hpp"
#include "stack/control/rtadv.hpp"
#include "stack/control/stats.hpp"
#include "stack/control/sysctl.hpp"
#include "stack/icmp/error_rules.hpp"
#include "stack/nd/neighbor_cache.hpp"
#include "stack/pipeline/table.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ndp.hpp"
#include "stack/wire/ra.hpp"

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
inline unexpected<node_error> fail(errc c, std::string msg) {
  return unexpected{node_error{c, std::move(msg)}};
}

struct addr_entry {
  ip6_addr addr;
  unsigned plen = 64;
  bool anycast = false;
  bool tentative = false;
  bool duplicated = false;
  bool deprecated = false;
  bool autoconf = false;
  // Lifetimes of an address formed from an RA prefix (RFC 4862 §5.5.3);
  // nullopt: infinite.
  std::optional<time_point> valid_until, preferred_until;
  // DAD progress (RFC 4862 §5.4).
  bool dad_running = false;
  unsigned dad_ns_left = 0;
  time_point dad_next{};
};

struct addr4_entry {
  std::uint32_t addr = 0;  // host order
  unsigned plen = 24;
  std::uint32_t broadcast() const noexcept {
    return plen >= 31 ? 0xffffffffu : (addr | (0xffffffffu >> plen));
  }
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
  std::vector<addr4_entry> addrs4;
  std::set<ip6_addr> ni_groups;  // node information groups of our name (RFC 4620 §4)
  bool all_routers = false;      // joined ff02::2: rtadvd advertises here

  bool usable() const noexcept { return up && link; }
  const addr_entry* find(const ip6_addr& a) const noexcept;
  addr_entry* find(const ip6_addr& a) noexcept;
  std::set<ip6_addr> groups() const;  // joined multicast groups
  // The identifier prefix-formed addresses use (KAME: the low 64 bits of
  // the link-local address); nullopt without a link-local address.
  std::optional<std::array<std::uint8_t, 8>> interface_id() const;
};

struct node_config {
  std::string hostname = "umigame";
  nd::nd_params nd;
  unsigned dad_count = 1;       // net.inet6.ip6.dad_count
  std::uint8_t hop_limit = 64;  // net.inet6.ip6.hlim
  unsigned icmp6_errppslimit = 100;
  bool forwarding = false;       // net.inet6.ip6.forwarding (router flag in NAs)
  bool redirects = true;         // net.inet6.ip6.redirect: send redirects
  bool accept_redirects = true;  // net.inet6.icmp6.rediraccept (hosts)
  duration redirect_timeout = std::chrono::seconds(600);
  bool forwarding4 = false;  // net.inet.ip.forwarding
  bool redirects4 = true;    // net.inet.ip.redirect
  std::uint8_t ttl = 64;     // net.inet.ip.ttl
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

// A Node Information Reply (RFC 4620) that reached the node: for ping6 -w/-a/-t.
struct ni_event {
  ip6_addr from;
  ip6_addr to;
  unsigned ifindex = 0;
  std::uint8_t hlim = 0;
  std::uint8_t code = 0;
  std::uint16_t qtype = 0;
  std::uint16_t flags = 0;
  std::array<std::uint8_t, 8> nonce{};
  std::size_t len = 0;  // ICMPv6 length
  std::vector<std::uint8_t> data;
};

// An ICMP(v6) error or echo reply answering a traceroute probe (a UDP
// datagram whose source port is the listener's ident, or an echo request).
struct probe_event {
  bool v4 = false;
  std::uint16_t ident = 0;
  std::uint16_t port = 0;  // UDP destination port of the probe (0 for echo)
  std::uint16_t seq = 0;   // echo sequence number (0 for UDP)
  ip6_addr from;           // IPv4-mapped for IPv4
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint8_t hlim = 0;  // hop limit / TTL of the answer as received
  std::size_t len = 0;
};

// A prefix of the prefix list (KAME `prefix`, `ndp -p`): manual prefixes
// (origin static) form an address from the prefix and the interface
// identifier of the link-local address.
struct prefix_entry {
  unsigned ifindex = 0;
  ip6_addr prefix;
  unsigned plen = 64;
  std::optional<std::uint32_t> vltime = 2592000;  // nullopt: infinity
  std::optional<std::uint32_t> pltime = 604800;
  bool onlink = true;
  bool autonomous = true;
  ip6_addr addr;  // the address formed from it (when autonomous)
  // Learned from router advertisements (KAME origin RA) rather than set by
  // hand (origin static); RA prefixes expire and list their routers.
  bool from_ra = false;
  std::optional<time_point> expire;  // RA prefixes: end of the valid lifetime
  std::vector<ip6_addr> advertisers;
};

// RFC 2894 match and use parts of `prefix ... matchpr ... usepr ...`.
struct renumber_spec {
  std::vector<unsigned> ifindexes;  // empty: every interface
  ip6_addr matchpr;
  unsigned mp_len = 64, mp_minlen = 0, mp_maxlen = 128;
  std::optional<ip6_addr> usepr;
  unsigned up_uselen = 0, up_keeplen = 0;
  enum class op : std::uint8_t { add, change, setglobal } operation = op::add;
  std::optional<std::uint32_t> vltime = 2592000, pltime = 604800;
  bool onlink = true, autonomous = true;
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
  std::function<void(const probe_event&)> probe;
  std::function<void(const ni_event&)> ni_reply;
  std::function<void(const std::string&)> log;
  // Where memory the workers may still read goes (RCU); nullptr in tests.
  fib::reclaimer* reclaimer = nullptr;
  // Routing socket style events for `route monitor`.
  std::function<void(const char* type, const control::route6&)> route_event;
  // rtsol/rtsold log lines and the end of an `rtsol` (-1) run.
  std::function<void(const rtsol_log_event&)> rtsol_log;
  std::function<void(std::uint64_t run)> rtsol_done;
};

struct route_spec {
  ip6_addr dest;
  unsigned plen = 0;
  std::optional<ip6_addr> gateway;
  unsigned ifindex = 0;          // zone of a link-local gateway, or -interface's interface
  bool interface_route = false;  // on-link through ifindex
  bool reject = false;
  bool blackhole = false;
  bool v4 = false;  // dest/gateway are IPv4-mapped, plen counts from 96
};

// Counters the control thread owns (the workers own the rest).
struct node_counters {
  std::array<std::uint64_t, static_cast<std::size_t>(stats::ip6::count_)> ip6{};
  std::array<std::uint64_t, static_cast<std::size_t>(stats::ip::count_)> ip{};
  std::array<std::uint64_t, static_cast<std::size_t>(stats::icmp::count_)> icmp{};
  std::array<std::uint64_t, 256> icmp_in_hist{};
  std::array<std::uint64_t, 256> icmp_out_hist{};
  void inc(stats::ip s) { ++ip[static_cast<std::size_t>(s)]; }
  void inc(stats::icmp s) { ++icmp[static_cast<std::size_t>(s)]; }
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

  // Routing (KAME route add/delete/change/flush).
  node_result<control::route6> route_add(const route_spec& spec, bool change);
  node_result<control::route6> route_delete(const ip6_addr& dest, unsigned plen,
                                            std::optional<ip6_addr> gateway, bool v4 = false);
  std::vector<control::route6> route_flush(std::optional<bool> v4 = std::nullopt);
  // Static routes to many destinations through one gateway (route files).
  node_result<std::size_t> route_add_bulk(const std::vector<std::pair<ip6_addr, unsigned>>& dests,
                                          const route_spec& via);
  const control::route_table6& routes() const { return rt6_; }
  const control::route_table6& routes4() const { return rt4_; }

  // IPv4 (ifconfig inet, arp). Addresses are host order.
  node_result<ok_t> add_address4(std::string_view ifname, std::uint32_t a, unsigned plen,
                                 bool alias);
  node_result<ok_t> delete_address4(std::string_view ifname, std::uint32_t a);
  const nd::neighbor_cache& arp() const { return arp_; }
  node_result<ok_t> set_arp(std::uint32_t a, const mac_addr& mac, bool temp);
  node_result<ok_t> delete_arp(std::uint32_t a);
  std::vector<nd::neighbor> flush_arp() { return arp_.flush(); }
  unsigned onlink_interface4(std::uint32_t a) const;
  struct send4_request {
    std::uint32_t dst = 0;
    std::optional<std::uint32_t> src;
    std::uint8_t protocol = 1;
    std::optional<std::uint8_t> ttl;
    std::vector<std::uint8_t> payload;  // ICMP checksum filled here
  };
  node_result<std::uint32_t> send4(send4_request r);  // returns the source used
  control::sysctl_registry& sysctl() { return sysctl_; }
  std::uint64_t neighbor_generation() const { return nc_.generation() + arp_.generation(); }

  // Prefix list (KAME prefix, ndp -p / -P) and router renumbering.
  node_result<ok_t> prefix_set(const prefix_entry& p);
  node_result<ok_t> prefix_delete(unsigned ifindex, const ip6_addr& prefix, unsigned plen);
  struct renumbered {
    unsigned ifindex;
    ip6_addr from, to;
    unsigned plen;
  };
  node_result<std::vector<renumbered>> prefix_renumber(const renumber_spec& spec);
  const std::vector<prefix_entry>& prefixes() const { return prefixes_; }
  // Stateless autoconfiguration, host side (node_ra.cpp): the default
  // router list (ndp -r / -R) and the router solicitor of rtsol/rtsold.
  const std::vector<default_router>& default_routers() const { return ra_.routers; }
  void default_router_flush();
  const ra_ifinfo* nd_ifinfo(unsigned ifindex) const;
  std::uint8_t hop_limit_for(unsigned ifindex) const;
  // The IPv6 link MTU: an RA's MTU option, else the interface MTU.
  unsigned link_mtu(const interface& ifp) const;
  struct rtsol_options {
    bool mobile = false, once = false;
    int debug = 0;
  };
  node_result<std::uint64_t> rtsol_start(const std::vector<unsigned>& ifindexes, rtsol_options o);
  void rtsol_stop(std::uint64_t run);
  // Packets the slow path forwarded through a next hop (netstat -r "Use",
  // with the workers' counts).
  std::uint64_t slow_path_use(std::uint32_t nexthop, bool v4) const {
    const auto& v = v4 ? slow_use4_ : slow_use6_;
    return nexthop < v.size() ? v[nexthop] : 0;
  }

  // Forwarding exceptions the workers punted (Ethernet frame as received).
  void forward_punt(unsigned port, bytes frame, pipeline::punt_reason reason,
                    std::uint32_t nexthop);

  // Originate an IPv6 packet (ping6, errors, NDP).
  node_result<send_result> send(send_request r);

  // Slow path: a frame the workers punted (Ethernet header included).
  void input(unsigned port, bytes frame);
  // Timers (DAD, NUD). Call every few tens of milliseconds.
  void tick();

  // Router advertisement (rtadvd, node_rtadv.cpp). Refuses on a host
  // unless the router lifetime is 0, as KAME rtadvd did.
  std::optional<std::string> rtadv_start(rtadv_config cfg, bool static_prefixes);
  router_advertiser& rtadv() { return rtadv_; }
  const router_advertiser& rtadv() const { return rtadv_; }

  const node_counters& counters() const { return counters_; }
  const node_config& config() const { return cfg_; }
  node_config& mutable_config() { return cfg_; }
  time_point now() const { return env_.clock->now(); }

 private:
  void start_dad(interface& ifp, addr_entry& a);
  void add_address_routes(const interface& ifp, const addr_entry& a);
  void remove_address_routes(const interface& ifp, const addr_entry& a);
  control::route_table6& table(bool v4) { return v4 ? rt4_ : rt6_; }
  node_result<control::nexthop> resolve_nexthop(const route_spec& spec);
  // IPv4 (node_ip4.cpp).
  void input4(interface& ifp, bytes frame);
  void arp_input(interface& ifp, bytes payload);
  void send_arp(interface& ifp, std::uint16_t op, std::uint32_t spa, std::uint32_t tpa,
                const mac_addr& tha, const mac_addr& dst);
  void deliver4(interface& ifp, bytes ip4pkt, bool l2_broadcast);
  bool options_ok4(interface& in, bytes ip4pkt, bool l2_broadcast, bool for_us);
  bool record_options4(interface& out, std::uint32_t next_hop, mut_bytes ip4pkt);
  void send_error4(interface& ifp, bytes offending, bool l2_broadcast, std::uint8_t type,
                   std::uint8_t code, std::uint32_t param);
  void emit4(interface& ifp, const mac_addr& dst, std::vector<std::uint8_t> pkt, bool forwarded);
  void forward_punt4(interface& in, bytes ip4pkt, bool l2_broadcast, pipeline::punt_reason r,
                     std::uint32_t nexthop);
  void forward_slow4(interface& in, bytes ip4pkt, bool may_redirect);
  void output4(interface& out, std::uint32_t next_hop, std::vector<std::uint8_t> pkt,
               bool forwarded);
  void add_address4_routes(const interface& ifp, const addr4_entry& a);
  void remove_address4_routes(const interface& ifp, const addr4_entry& a);
  bool is_our_address4(std::uint32_t a, const interface** ifp = nullptr) const;
  void route_event(const char* type, const control::route6& r) const {
    if (env_.route_event) env_.route_event(type, r);
  }
  void apply_sysctl(const std::string& name);
  void forward_slow(interface& in, bytes ip6pkt, bool may_redirect);
  void send_redirect(interface& in, bytes offending, const ip6_addr& target, const ip6_addr& dst);
  void redirect_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg);
  void assign_link_local(interface& ifp);
  // node_ra.cpp
  void ra_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg);
  void ra_prefix(interface& ifp, const ip6_addr& router, const wire::prefix_info& pi);
  void ra_router(interface& ifp, const ip6_addr& router, std::uint16_t lifetime, bool m, bool o);
  ra_ifinfo& ifinfo_for(interface& ifp);
  void ra_tick(time_point t);
  void sync_default_route();
  void remove_ra_prefix(std::size_t index);
  void rtsol_tick(time_point t);
  void rtsol_heard_ra(unsigned ifindex, const ip6_addr& src);
  void rtsol_send(rtsol_run& run, rtsol_if& rif);
  void rtsol_timer_update(rtsol_run& run, rtsol_if& rif);
  void rtsol_log(const rtsol_run& run, int prio, const char* func, const std::string& msg) const;
  void dad_failed(interface& ifp, addr_entry& a, const char* why);
  void deliver(interface& ifp, bytes ip6pkt, bool l2_multicast);
  void icmp_input(interface& ifp, bytes ip6pkt, std::size_t off, bool l2_multicast);
  void ns_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                bytes msg);
  void na_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                bytes msg);
  template <class View>
  std::optional<std::pair<View, wire::nd_options>> validate_nd(std::uint8_t hlim, bytes msg);
  void rs_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg);
  void rtadv_ra_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg);
  rtadv_env rtadv_environment();
  void error_input(bytes msg, const ip6_addr& from, std::uint8_t hlim);
  // Node information (node_ni.cpp).
  void ni_input(interface& ifp, const wire::ipv6_view& ip, bytes msg);
  // Node Addresses / IPv4 Addresses reply data for the interface `only`
  // (all interfaces when null); sets `truncated` when some did not fit.
  std::vector<std::uint8_t> ni_addresses(const interface* only, std::uint16_t flags, bool v4,
                                         bool& truncated) const;
  void update_ni_groups();
  void error_input4(bytes msg, std::uint32_t from, std::uint8_t ttl);
  void send_error(interface& ifp, bytes offending, bool l2_multicast, std::uint8_t type,
                  std::uint8_t code, std::uint32_t param);
  void send_ns(unsigned ifindex, const ip6_addr& target, std::optional<mac_addr> dst_mac, bool dad);
  void send_na(interface& ifp, const ip6_addr& dst, const ip6_addr& target, bool solicited,
               bool override_flag);
  // Builds Ethernet + IPv6 around `payload` and transmits to `dst_mac`.
  void emit(interface& ifp, const mac_addr& dst_mac, std::vector<std::uint8_t> ip6pkt,
            bool forwarded = false);
  std::vector<std::vector<std::uint8_t>> fragment(std::vector<std::uint8_t> pkt, unsigned mtu);
  std::vector<std::uint8_t> build_ip6(const ip6_addr& src, const ip6_addr& dst, std::uint8_t nh,
                                      std::uint8_t hlim, std::vector<std::uint8_t> payload);
  bool is_our_address(const ip6_addr& a, const interface** ifp = nullptr) const;
  void log(const std::string& s) const {
    if (env_.log) env_.log(s);
  }
  void changed() const {
    if (env_.changed) env_.changed();
  }

  // RFC 8200 §4.5 reassembly of fragments addressed to us.
  struct reassembly {
    std::vector<std::uint8_t> unfrag;  // IPv6 header of the first fragment
    std::vector<std::pair<std::size_t, std::vector<std::uint8_t>>> pieces;  // offset, data
    std::size_t total = 0;  // known once the last fragment arrived
    bool have_first = false;
    std::uint8_t next_header = 0;
    bool v4 = false;
    time_point deadline{};
    unsigned ifindex = 0;
  };
  using reass_key = std::tuple<ip6_addr, ip6_addr, std::uint32_t, unsigned>;
  void reassemble(interface& ifp, const wire::ipv6_view& ip, std::size_t frag_off,
                  bool l2_multicast);
  // RFC 791 §3.2 reassembly of IPv4 fragments addressed to us (same table,
  // IPv4-mapped keys). The finished datagram comes back; empty while waiting.
  std::vector<std::uint8_t> reassemble4(interface& ifp, const wire::ipv4_view& ip);
  enum class piece_result : std::uint8_t { pending, complete, dropped };
  piece_result add_fragment(reassembly& r, std::size_t offset, bytes data, bool more);
  static std::vector<std::uint8_t> assemble(const reassembly& r);
  bool reassembly_full(bool v4) const;
  void expire_reassembly(time_point t);
  std::map<reass_key, reassembly> reass_;
  std::vector<prefix_entry> prefixes_;
  ra_host ra_;
  std::vector<std::uint64_t> slow_use6_, slow_use4_;

  node_config cfg_;
  node_env env_;
  std::vector<interface> ifs_;
  nd::neighbor_cache nc_;
  control::route_table6 rt6_;
  control::route_table6 rt4_;  // IPv4 routes as IPv4-mapped prefixes
  nd::neighbor_cache arp_;     // ARP entries under IPv4-mapped keys, same NUD machine
  icmp::rate_limiter err4_limit_{200};
  std::uint16_t ip4_ident_ = 0;
  control::sysctl_registry sysctl_;
  icmp::rate_limiter err_limit_;
  icmp::rate_limiter ni_limit_{100};  // node information replies (net.inet6.icmp6.errppslimit)
  node_counters counters_;
  router_advertiser rtadv_{rtadv_environment()};
};

}  // namespace umi::node
