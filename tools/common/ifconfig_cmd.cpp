#include "tools/common/ifconfig_cmd.hpp"

#include <array>
#include <charconv>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"

namespace umi::tools {

namespace {

ifconfig_addr_op& addr_of(ifconfig_cmd& c) {
  if (!c.addr) c.addr.emplace();
  return *c.addr;
}

std::string set_up(ifconfig_cmd& c, std::string_view) {
  c.up = true;
  return "";
}
std::string set_down(ifconfig_cmd& c, std::string_view) {
  c.up = false;
  return "";
}
std::string set_alias(ifconfig_cmd& c, std::string_view) {
  addr_of(c).alias = true;
  return "";
}
std::string set_remove(ifconfig_cmd& c, std::string_view) {
  addr_of(c).remove = true;
  return "";
}
std::string set_anycast(ifconfig_cmd& c, std::string_view) {
  addr_of(c).anycast = true;
  return "";
}
std::string clear_anycast(ifconfig_cmd& c, std::string_view) {
  addr_of(c).anycast = false;
  return "";
}
std::string set_tentative(ifconfig_cmd& c, std::string_view) {
  addr_of(c).tentative = true;
  return "";
}
std::string clear_tentative(ifconfig_cmd& c, std::string_view) {
  addr_of(c).tentative = false;
  return "";
}

// KAME in6_getprefix: errx(1, "%s: bad value", plen) outside 0..128.
std::string set_prefixlen(ifconfig_cmd& c, std::string_view arg) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
  if (arg.empty() || ec != std::errc{} || p != arg.data() + arg.size() || v > 128)
    return std::string(arg) + ": bad value";
  addr_of(c).prefixlen = v;
  c.have_prefixlen = true;
  return "";
}

// in_getaddr(NETMASK): dotted or 0x hex; only contiguous masks make a prefix length.
std::string set_netmask(ifconfig_cmd& c, std::string_view arg) {
  auto m = parse_ip4(arg);
  auto len = m ? ip4_mask_len(*m) : std::nullopt;
  if (!len) return std::string(arg) + ": bad value";
  addr_of(c).prefixlen = *len;
  c.have_prefixlen = true;
  return "";
}

constexpr std::array generic_table{
    ifconfig_keyword{"up", 0, set_up, "mark the interface up"},
    ifconfig_keyword{"down", 0, set_down, "mark the interface down"},
};

constexpr std::array inet6_table{
    ifconfig_keyword{"alias", 0, set_alias, "add the address, keeping the others"},
    ifconfig_keyword{"-alias", 0, set_remove, "remove the address"},
    ifconfig_keyword{"delete", 0, set_remove, "remove the address"},
    ifconfig_keyword{"prefixlen", 1, set_prefixlen, "prefix length, 0..128 (default 64)"},
    ifconfig_keyword{"anycast", 0, set_anycast, "the address is an anycast address"},
    ifconfig_keyword{"-anycast", 0, clear_anycast, "the address is unicast"},
    ifconfig_keyword{"tentative", 0, set_tentative, "add the address as tentative (run DAD)"},
    ifconfig_keyword{"-tentative", 0, clear_tentative, "do not mark the address tentative"},
};

constexpr std::array inet_table{
    ifconfig_keyword{"alias", 0, set_alias, "add the address, keeping the others"},
    ifconfig_keyword{"-alias", 0, set_remove, "remove the address"},
    ifconfig_keyword{"delete", 0, set_remove, "remove the address"},
    ifconfig_keyword{"netmask", 1, set_netmask, "mask, dotted or 0x hex (default: classful)"},
};

const ifconfig_keyword* lookup(std::span<const ifconfig_keyword> table, std::string_view word) {
  for (const auto& k : table)
    if (k.keyword == word) return &k;
  return nullptr;
}

bool known_family(std::string_view af) {
  static constexpr std::array<std::string_view, 7> families{"inet", "inet6", "link", "ether",
                                                            "ipx",  "atalk", "ns"};
  for (auto f : families)
    if (f == af) return true;
  return false;
}

// The address of `inet6 ADDR[/N]`; KAME in6_getaddr: "%s: bad value".
std::string take_address(ifconfig_cmd& c, const std::string& word) {
  std::string a = word;
  auto slash = a.find('/');
  if (slash != std::string::npos) {
    std::string err = set_prefixlen(c, std::string_view(a).substr(slash + 1));
    if (!err.empty()) return err;
    a.resize(slash);
  }
  auto pct = a.find('%');
  if (!ip6_addr::parse(std::string_view(a).substr(0, pct)) ||
      (pct != std::string::npos && pct + 1 == a.size()))
    return word + ": bad value";
  addr_of(c).addr = a;
  return "";
}

// `inet ADDR[/N]`; FreeBSD in_getaddr: "%s: bad value".
std::string take_inet_address(ifconfig_cmd& c, const std::string& word) {
  std::string a = word;
  auto slash = a.find('/');
  if (slash != std::string::npos) {
    unsigned v = 0;
    std::string_view len = std::string_view(a).substr(slash + 1);
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
    if (len.empty() || ec != std::errc{} || p != len.data() + len.size() || v > 32)
      return word + ": bad value";
    addr_of(c).prefixlen = v;
    c.have_prefixlen = true;
    a.resize(slash);
  }
  auto v4 = parse_ip4(a);
  if (!v4) return word + ": bad value";
  addr_of(c).addr = ip4_to_string(*v4);
  return "";
}

}  // namespace

std::span<const ifconfig_keyword> inet_keywords() {
  return inet_table;
}

std::span<const ifconfig_keyword> generic_keywords() {
  return generic_table;
}
std::span<const ifconfig_keyword> inet6_keywords() {
  return inet6_table;
}

std::string ifconfig_usage() {
  return "usage: ifconfig [-L] interface address_family [address [dest_address]]\n"
         "                [parameters]\n"
         "       ifconfig -a [-L] [-d] [-m] [-u] [address_family]\n"
         "       ifconfig -l [-d] [-u] [address_family]\n";
}

result<ifconfig_cmd, cmd_error> parse_ifconfig(const std::vector<std::string>& args) {
  ifconfig_cmd c;
  std::size_t i = 0;
  bool all = false;
  bool names = false;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    for (char ch : std::string_view(args[i]).substr(1)) {
      switch (ch) {
        case 'a':
          all = true;
          break;
        case 'l':
          names = true;
          break;
        case 'd':
          c.only_down = true;
          break;
        case 'u':
          c.only_up = true;
          break;
        case 'm':
          break;  // media lists: the status block always shows the media line
        case 'L':
          c.lifetimes = true;
          break;
        default:
          return unexpected{usage_error()};
      }
    }
  }
  if ((all && names) || (c.only_up && c.only_down)) return unexpected{usage_error()};
  if (all || names) {
    if (args.size() - i > 1) return unexpected{usage_error()};
    if (i < args.size()) {
      if (!known_family(args[i])) return unexpected{usage_error()};
      c.af = args[i];
    }
    if (!c.af.empty() && c.af != "inet6" && c.af != "inet")
      return unexpected{fatal("address family " + c.af + " is not supported")};
    c.mode = all ? ifconfig_mode::show_all : ifconfig_mode::list_names;
    return c;
  }
  if (i >= args.size() || c.only_up || c.only_down) return unexpected{usage_error()};
  c.ifname = args[i++];
  if (i < args.size() && known_family(args[i])) {
    c.af = args[i++];
    if (c.af != "inet6" && c.af != "inet")
      return unexpected{fatal("address family " + c.af + " is not supported")};
  }
  if (i == args.size()) {
    c.mode = ifconfig_mode::show_one;
    return c;
  }
  c.mode = ifconfig_mode::configure;
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    const ifconfig_keyword* k = lookup(generic_table, w);
    if (k == nullptr) k = c.af == "inet" ? lookup(inet_table, w) : lookup(inet6_table, w);
    if (k != nullptr) {
      std::string_view arg;
      if (k->nargs > 0) {
        if (i + 1 >= args.size())
          return unexpected{fatal("'" + std::string(k->keyword) + "' requires argument")};
        arg = args[++i];
      }
      if (auto e = k->apply(c, arg); !e.empty()) return unexpected{fatal(e)};
      continue;
    }
    // Not a keyword: the address, then the destination (BSD order). Without an
    // address family BSD parses it as inet, which an IPv6 address is not.
    if (c.af.empty()) return unexpected{fatal(w + ": bad value")};
    if (!c.addr || c.addr->addr.empty()) {
      auto e = c.af == "inet" ? take_inet_address(c, w) : take_address(c, w);
      if (!e.empty()) return unexpected{fatal(e)};
    } else {
      return unexpected{fatal(w + ": destination addresses are not supported")};
    }
  }
  if (c.addr && c.addr->addr.empty()) return unexpected{usage_error()};
  if (c.addr && c.af == "inet") {
    c.addr->family = "inet";
    if (!c.have_prefixlen) c.addr->prefixlen = ip4_classful_len(*parse_ip4(c.addr->addr));
  }
  return c;
}

}  // namespace umi::tools
