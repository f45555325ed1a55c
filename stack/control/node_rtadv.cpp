// The node's side of router advertisement: wiring the advertiser
// (rtadv.cpp) to the interfaces, the output path and ICMPv6 input.
#include "stack/control/node.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::node {

rtadv_env node::rtadv_environment() {
  rtadv_env e;
  e.clock = env_.clock;
  e.random = env_.random;
  e.iface = [this](unsigned ifx) -> const interface* { return interface_by_index(ifx); };
  e.send = [this](unsigned ifx, std::vector<std::uint8_t> ra) {
    const interface* ifp = interface_by_index(ifx);
    if (ifp == nullptr) return;
    // RFC 4861 §6.1.2: an RA's source is the link-local address.
    send_request r;
    r.dst = ip6::all_nodes;
    r.ifindex = ifx;
    for (const auto& a : ifp->addrs)
      if (a.addr.is_link_local() && !a.tentative && !a.duplicated) r.src = a.addr;
    if (!r.src) {
      log(ifp->name + ": no usable link-local address; router advertisement not sent");
      return;
    }
    r.hop_limit = 255;
    r.payload = std::move(ra);
    (void)send(std::move(r));
  };
  e.membership = [this](unsigned ifx, bool join) {
    if (interface* ifp = interface_by_index(ifx)) {
      ifp->all_routers = join;
      changed();
    }
  };
  e.is_router = [this] { return cfg_.forwarding; };
  e.log = [this](const std::string& m) { log("rtadvd: " + m); };
  return e;
}

std::optional<std::string> node::rtadv_start(rtadv_config cfg, bool static_prefixes) {
  interface* ifp = find_interface(cfg.ifname);
  if (ifp == nullptr) return "<getconfig> interface " + cfg.ifname + " does not exist";
  if (!cfg_.forwarding && cfg.rltime != 0)
    return "<getconfig> non zero router lifetime is specified for " + cfg.ifname +
           ", which must not be allowed for hosts.  you must change router lifetime or enable "
           "IPv6 forwarding.";
  return rtadv_.start(ifp->index, std::move(cfg), static_prefixes);
}

void node::rs_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg) {
  if (hlim != 255) counters_.inc(stats::icmp6::nd_badhlim);
  if (!rtadv_.advertising(ifp.index)) return;  // hosts ignore RSs (RFC 4861 §6.2.6)
  // §6.2.6: a router that gets an RS with a source link-layer address
  // records it (STALE), as for any other ND message carrying one.
  if (hlim == 255 && !src.is_unspecified() && msg.size() >= wire::rs_header_len && msg[1] == 0) {
    if (auto opts = wire::parse_nd_options(msg.subspan(wire::rs_header_len));
        opts && opts->src_lladdr)
      nc_.on_lladdr_learned(ifp.index, src, *opts->src_lladdr, now());
  }
  rtadv_.rs_input(ifp.index, src, hlim, msg);
}

void node::rtadv_ra_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg) {
  if (is_our_address(src)) return;  // our own RA, heard through multicast loopback
  rtadv_.ra_input(ifp.index, src, hlim, msg);
}

}  // namespace umi::node
