#include "tools/common/route_cmd.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <optional>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"

namespace umi::tools {

namespace {

using rk = route_key;

// FreeBSD 3 KAME keywords.h, in its order. Words newroute() has no case for
// (the commands, iso, osi, x25, mask) are `verb`: "bad keyword".
constexpr std::array keyword_table{
    route_keyword{"add", 0, rk::verb},
    route_keyword{"atalk", 0, rk::family_other},
    route_keyword{"blackhole", 0, rk::blackhole},
    route_keyword{"change", 0, rk::verb},
    route_keyword{"cloning", 0, rk::ignored},
    route_keyword{"delete", 0, rk::verb},
    route_keyword{"dst", 1, rk::dst},
    route_keyword{"expire", 1, rk::metric},
    route_keyword{"flush", 0, rk::verb},
    route_keyword{"gateway", 1, rk::gateway},
    route_keyword{"genmask", 1, rk::ignored},
    route_keyword{"get", 0, rk::verb},
    route_keyword{"host", 0, rk::host},
    route_keyword{"hopcount", 1, rk::metric},
    route_keyword{"iface", 0, rk::iface},
    route_keyword{"interface", 0, rk::iface},
    route_keyword{"ifa", 1, rk::ignored},
    route_keyword{"ifp", 1, rk::ifp},
    route_keyword{"inet", 0, rk::family_inet},
    route_keyword{"inet6", 0, rk::family_inet6},
    route_keyword{"iso", 0, rk::verb},
    route_keyword{"link", 0, rk::family_other},
    route_keyword{"llinfo", 0, rk::ignored},
    route_keyword{"lock", 0, rk::ignored},
    route_keyword{"lockrest", 0, rk::ignored},
    route_keyword{"mask", 0, rk::verb},
    route_keyword{"monitor", 0, rk::verb},
    route_keyword{"mtu", 1, rk::metric},
    route_keyword{"net", 0, rk::net},
    route_keyword{"netmask", 1, rk::netmask},
    route_keyword{"nostatic", 0, rk::ignored},
    route_keyword{"osi", 0, rk::verb},
    route_keyword{"prefixlen", 1, rk::prefixlen},
    route_keyword{"proto1", 0, rk::ignored},
    route_keyword{"proto2", 0, rk::ignored},
    route_keyword{"recvpipe", 1, rk::metric},
    route_keyword{"reject", 0, rk::reject},
    route_keyword{"rtt", 1, rk::metric},
    route_keyword{"rttvar", 1, rk::metric},
    route_keyword{"sa", 0, rk::family_other},
    route_keyword{"sendpipe", 1, rk::metric},
    route_keyword{"ssthresh", 1, rk::metric},
    route_keyword{"static", 0, rk::ignored},
    route_keyword{"x25", 0, rk::verb},
    route_keyword{"xns", 0, rk::family_other},
    route_keyword{"xresolve", 0, rk::ignored},
};

const route_keyword* lookup(std::string_view w) {
  for (const auto& k : keyword_table)
    if (k.word == w) return &k;
  return nullptr;
}

cmd_error bad_keyword(std::string_view w) {
  return cmd_error{"bad keyword: " + std::string(w), true, false, ex_usage};
}
cmd_error usage_only() {
  return cmd_error{"", true, false, ex_usage};
}
cmd_error bad_value(std::string_view w) {  // KAME: fprintf(stderr, "%s: bad value\n")
  return cmd_error{std::string(w) + ": bad value", false, true, 1};
}
cmd_error bad_address(std::string_view w) {  // errx(EX_NOHOST, "bad address: %s")
  return cmd_error{"bad address: " + std::string(w), false, false, ex_nohost};
}

std::optional<unsigned> small_number(std::string_view s, unsigned max) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

bool is_ip6_text(std::string_view s) {
  auto pct = s.find('%');
  if (pct != std::string_view::npos && pct + 1 == s.size()) return false;
  return ip6_addr::parse(s.substr(0, pct)).has_value();
}

// gethostbyname() stand-in for IPv4 names.
std::optional<std::uint32_t> resolve_ip4(std::string_view s) {
  if (auto a = parse_ip4(s)) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  std::string name(s);
  if (name.empty() || getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || res == nullptr)
    return std::nullopt;
  auto a = ntohl(reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(res);
  return a;
}

// What newroute() collects before it talks to the kernel.
struct modifiers {
  std::string af;
  bool forcehost = false;
  bool forcenet = false;
  std::string dest, gateway, mask;
  bool have_dest = false, have_gateway = false, have_mask = false, mask_forces_net = false;
  std::string prefixlen;
  bool have_prefixlen = false;
};

result<void, cmd_error> finish_inet6(route_cmd& c, const modifiers& m) {
  bool is_default = m.dest == "default";
  if (!is_default && !is_ip6_text(m.dest)) return unexpected{bad_value(m.dest)};
  c.dest_addr = is_default ? "::" : m.dest;
  bool host = false;
  if (m.have_prefixlen) {
    auto len = small_number(m.prefixlen, 128);
    if (!len) return unexpected{bad_value(m.prefixlen)};
    c.prefixlen = *len;
    host = *len == 128;
  } else if (m.have_mask) {
    auto mask = ip6_addr::parse(m.mask);
    unsigned n = 0;
    while (mask && n < 128 && (mask->b[n / 8] & (0x80 >> (n % 8))) != 0) ++n;
    if (!mask || ip6_mask_string(n) != mask->to_string()) return unexpected{bad_value(m.mask)};
    c.prefixlen = n;
  } else if (m.forcehost) {
    c.prefixlen = 128;
    host = true;
  } else if (is_default || ip6_addr::parse(m.dest.substr(0, m.dest.find('%')))->is_unspecified()) {
    c.prefixlen = 0;  // "default" means ::/0 (and so does a bare ::)
  } else {
    c.prefixlen = 64;  // the guide: "if prefixlen is omitted, 64 is assumed"
  }
  bool forcenet = m.forcenet || (m.have_prefixlen && !host) || (m.have_mask && m.mask_forces_net);
  if (m.forcehost && !m.have_prefixlen) host = true;
  if (forcenet) host = false;
  if (!host && c.prefixlen == 128 && !m.have_prefixlen) c.prefixlen = 64;
  c.host = host;
  if (m.have_gateway) {
    if (c.interface && !is_ip6_text(m.gateway)) {
      c.ifname = m.gateway;  // -interface de0: on-link through that interface
    } else if (!is_ip6_text(m.gateway)) {
      return unexpected{bad_value(m.gateway)};
    }
  }
  return ok;
}

result<void, cmd_error> finish_inet(route_cmd& c, const modifiers& m) {
  std::uint32_t addr = 0;
  unsigned plen = 32;
  bool host = false;
  const std::string& d = m.dest;
  auto slash = d.find('/');
  if (d == "default") {
    plen = 0;
  } else if (slash != std::string::npos && parse_ip4(std::string_view(d).substr(0, slash))) {
    auto bits = small_number(std::string_view(d).substr(slash + 1), 32);
    if (!bits) return unexpected{bad_address(d)};
    auto n = ip4_make_net(*parse_ip4(std::string_view(d).substr(0, slash)), *bits);
    addr = n.addr;
    plen = n.prefixlen;
  } else if (m.have_prefixlen || m.forcehost) {
    auto a = resolve_ip4(d);
    if (!a) return unexpected{bad_address(d)};
    addr = *a;
    host = true;
  } else if (auto a = parse_ip4(d); a && !m.forcenet) {
    addr = *a;
    if (ip4_host_part(*a) != 0) {
      host = true;
    } else {
      auto n = ip4_make_net(*a, 0);
      addr = n.addr;
      plen = n.prefixlen;
    }
  } else if (auto net = parse_ip4_network(d)) {
    auto n = ip4_make_net(*net, 0);
    addr = n.addr;
    plen = n.prefixlen;
  } else if (auto h = resolve_ip4(d)) {
    addr = *h;
    host = true;
  } else {
    return unexpected{bad_address(d)};
  }
  if (m.have_prefixlen) {
    auto len = small_number(m.prefixlen, 32);
    if (!len) return unexpected{bad_value(m.prefixlen)};
    plen = *len;
    host = *len == 32;
  } else if (m.have_mask) {
    auto mask = parse_ip4(m.mask);
    auto len = mask ? ip4_mask_len(*mask) : std::nullopt;
    if (!len) return unexpected{bad_value(m.mask)};
    plen = *len;
    if (m.mask_forces_net) host = false;
  }
  if (m.forcenet) host = false;
  if (host) plen = 32;
  c.dest_addr = ip4_to_string(addr);
  c.prefixlen = plen;
  c.host = host;
  if (m.have_gateway && !parse_ip4(m.gateway)) {
    if (c.interface) {
      c.ifname = m.gateway;
    } else if (auto g = resolve_ip4(m.gateway)) {
      c.gateway_addr = ip4_to_string(*g);  // a name: send its address, print the name
      return ok;
    } else {
      return unexpected{bad_address(m.gateway)};
    }
  }
  return ok;
}

result<route_cmd, cmd_error> parse_newroute(route_cmd c, const std::vector<std::string>& args,
                                            std::size_t i) {
  modifiers m;
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w.size() > 1 && w[0] == '-') {
      std::string_view word = std::string_view(w).substr(1);
      const route_keyword* k = lookup(word);
      if (k == nullptr || k->key == rk::verb) return unexpected{bad_keyword(word)};
      std::string arg;
      if (k->nargs > 0) {
        if (i + 1 >= args.size()) return unexpected{usage_only()};
        arg = args[++i];
      }
      switch (k->key) {
        case rk::family_inet:
          m.af = "inet";
          break;
        case rk::family_inet6:
          m.af = "inet6";
          break;
        case rk::family_other:
          return unexpected{fatal("address family " + std::string(word) + " is not supported")};
        case rk::iface:
          c.interface = true;
          break;
        case rk::host:
          m.forcehost = true;
          break;
        case rk::net:
          m.forcenet = true;
          break;
        case rk::reject:
          c.reject = true;
          break;
        case rk::blackhole:
          c.blackhole = true;
          break;
        case rk::ifp:
          c.ifname = arg;
          break;
        case rk::gateway:
          m.gateway = arg;
          m.have_gateway = true;
          break;
        case rk::dst:
          m.dest = arg;
          m.have_dest = true;
          break;
        case rk::netmask:
          m.mask = arg;
          m.have_mask = true;
          m.mask_forces_net = true;
          m.forcenet = true;
          break;
        case rk::prefixlen:
          m.prefixlen = arg;
          m.have_prefixlen = true;
          break;
        case rk::ignored:
        case rk::metric:
        case rk::verb:
          break;
      }
      continue;
    }
    if (!m.have_dest) {
      m.dest = w;
      m.have_dest = true;
    } else if (!m.have_gateway) {
      m.gateway = w;
      m.have_gateway = true;
    } else {
      m.mask = w;  // a third word is the netmask (getaddr(RTA_NETMASK))
      m.have_mask = true;
    }
  }
  if (!m.have_dest || m.dest.empty()) return unexpected{usage_only()};
  // KAME defaults to inet unless told -inet6; an address with a colon can only
  // be inet6, so it selects the family by itself.
  c.family = !m.af.empty() ? m.af : (m.dest.find(':') != std::string::npos ? "inet6" : "inet");
  c.dest = m.dest;
  if (m.have_gateway) c.gateway = c.gateway_addr = m.gateway;
  auto r = c.family == "inet6" ? finish_inet6(c, m) : finish_inet(c, m);
  if (!r) return unexpected{r.error()};
  if (!c.ifname.empty() && c.gateway_addr == c.ifname) c.gateway_addr.clear();
  return c;
}

}  // namespace

std::span<const route_keyword> route_keywords() {
  return keyword_table;
}

std::string route_usage() {
  return "usage: route [-dnqtv] command [[modifiers] args]\n";
}

namespace {
std::size_t skip_options(const std::vector<std::string>& args, route_cmd* c, bool& bad) {
  std::size_t i = 0;
  bad = false;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') break;
    for (char ch : a.substr(1)) {
      switch (ch) {
        case 'n':
          if (c) c->numeric = true;
          break;
        case 'q':
          if (c) c->quiet = true;
          break;
        case 'v':
          if (c) c->verbose = true;
          break;
        case 't':
          if (c) c->test_only = true;
          break;
        case 'd':
          if (c) c->debug_only = true;
          break;
        default:
          bad = true;
          return i;
      }
    }
  }
  return i;
}
}  // namespace

bool route_needs_root(const std::vector<std::string>& args) {
  bool bad = false;
  std::size_t i = skip_options(args, nullptr, bad);
  if (bad || i >= args.size()) return false;
  const std::string& v = args[i];
  return v == "add" || v == "delete" || v == "change" || v == "flush";
}

result<route_cmd, cmd_error> parse_route(const std::vector<std::string>& args) {
  route_cmd c;
  bool bad = false;
  std::size_t i = skip_options(args, &c, bad);
  if (bad || i >= args.size()) return unexpected{usage_only()};
  const std::string& verb = args[i++];
  c.verb_word = verb;
  if (verb == "add" || verb == "delete" || verb == "change" || verb == "get") {
    c.verb = verb == "add"      ? route_verb::add
             : verb == "delete" ? route_verb::remove
             : verb == "change" ? route_verb::change
                                : route_verb::get;
    return parse_newroute(std::move(c), args, i);
  }
  if (verb == "monitor") {
    c.verb = route_verb::monitor;
    return c;
  }
  if (verb == "flush") {
    c.verb = route_verb::flush;
    if (i == args.size()) return c;
    const std::string& w = args[i];
    if (args.size() - i == 1 && w.size() > 1 && w[0] == '-') {
      const route_keyword* k = lookup(std::string_view(w).substr(1));
      if (k != nullptr && k->key == rk::family_inet) {
        c.family = "inet";
        return c;
      }
      if (k != nullptr && k->key == rk::family_inet6) {
        c.family = "inet6";
        return c;
      }
      if (k != nullptr && k->key == rk::family_other)
        return unexpected{fatal("address family " + w.substr(1) + " is not supported")};
    }
    return unexpected{bad_keyword(w)};
  }
  return unexpected{bad_keyword(verb)};
}

}  // namespace umi::tools
