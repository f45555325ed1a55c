#include "tools/common/rtadvd_cmd.hpp"

#include "tools/common/getopt.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace umi::tools {

std::string rtadvd_usage() {
  return "usage: rtadvd [-c configfile] [-dDfmRs] interface ...\n";
}

result<rtadvd_cmd, cmd_error> parse_rtadvd(const std::vector<std::string>& args) {
  rtadvd_cmd c;
  auto first =
      bsd_getopt(args, "c:dDfsRm",
                 [&c](char ch, const std::optional<std::string>& arg) -> std::optional<cmd_error> {
                   switch (ch) {
                     case 'c':
                       c.config = *arg;
                       break;
                     case 'd':
                       c.debug = std::max(c.debug, 1u);
                       break;
                     case 'D':
                       c.debug = 2;
                       break;
                     case 'f':
                       c.foreground = true;
                       break;
                     case 's':
                       c.static_prefixes = true;
                       break;
                     case 'R':
                       c.renumbering = true;
                       break;
                     default:  // 'm'
                       return cmd_error{"mobile IPv6 (-m) is not supported", false};
                   }
                   return std::nullopt;
                 });
  if (!first) return unexpected{first.error()};
  for (std::size_t i = *first; i < args.size(); ++i) c.interfaces.push_back(args[i]);
  if (c.interfaces.empty()) return unexpected{usage_error()};
  return c;
}

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Splits one entry at colons outside double quotes.
std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (ch == '\\' && i + 1 < line.size()) {
      cur += ch;
      cur += line[++i];
    } else if (ch == '"') {
      quoted = !quoted;
      cur += ch;
    } else if (ch == ':' && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::string_view cap_key(std::string_view cap) {
  return cap.substr(0, std::min(cap.find_first_of("#=@"), cap.size()));
}

template <class... A>
std::string fmt(const char* f, A... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

}  // namespace

result<termcap_file, std::string> termcap_file::parse(std::string_view text) {
  termcap_file f;
  std::string entry;
  unsigned lineno = 0, entry_line = 0;
  auto finish = [&]() -> std::optional<std::string> {
    if (trim(entry).empty()) {
      entry.clear();
      return std::nullopt;
    }
    auto fields = split_fields(entry);
    entry.clear();
    if (fields.empty() || fields[0].empty())
      return "line " + std::to_string(entry_line) + ": entry without a name";
    std::vector<std::string> caps;
    for (std::size_t i = 1; i < fields.size(); ++i)
      if (!fields[i].empty()) caps.push_back(fields[i]);
    std::string_view names = fields[0];
    for (std::size_t p = 0; p <= names.size();) {
      auto bar = names.find('|', p);
      if (bar == std::string_view::npos) bar = names.size();
      std::string n = trim(names.substr(p, bar - p));
      // termcap: the first entry of a name is the one found.
      if (!n.empty() && !f.entries_.count(n)) f.entries_[n] = caps;
      p = bar + 1;
    }
    return std::nullopt;
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (entry.empty()) {
      if (line.empty() || line[0] == '#') {
        if (nl == text.size()) break;
        continue;
      }
      entry_line = lineno;
    }
    const bool cont = !line.empty() && line.back() == '\\';
    if (cont) line.remove_suffix(1);
    entry += line;
    if (!cont) {
      if (auto e = finish()) return unexpected{*e};
    }
    if (nl == text.size()) break;
  }
  if (auto e = finish()) return unexpected{*e};
  return f;
}

result<std::optional<std::vector<std::string>>, std::string> termcap_file::entry(
    const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::optional<std::vector<std::string>>{};
  std::vector<std::string> out;
  // Expand tc= in place, depth-first, with termcap's limit on nesting.
  struct frame {
    const std::vector<std::string>* caps;
    std::size_t next;
  };
  std::vector<frame> stack{{&it->second, 0}};
  while (!stack.empty()) {
    frame& fr = stack.back();
    if (fr.next == fr.caps->size()) {
      stack.pop_back();
      continue;
    }
    const std::string& cap = (*fr.caps)[fr.next++];
    if (cap.rfind("tc=", 0) != 0) {
      out.push_back(cap);
      continue;
    }
    const std::string target = cap.substr(3);
    auto t = entries_.find(target);
    if (t == entries_.end())
      return unexpected{"<getconfig> entry " + name + ": tc=" + target + " names no entry"};
    if (stack.size() >= 32)
      return unexpected{"<getconfig> entry " + name + ": infinite tc= expansion"};
    stack.push_back({&t->second, 0});
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

const std::string* termcap_entry::find(std::string_view key) const {
  for (const auto& c : caps_) {
    if (cap_key(c) != key) continue;
    if (c.size() > key.size() && c[key.size()] == '@') return nullptr;
    return &c;
  }
  return nullptr;
}

bool termcap_entry::has(std::string_view key) const {
  return find(key) != nullptr;
}

bool termcap_entry::flag(std::string_view key) const {
  const std::string* c = find(key);
  return c != nullptr && c->size() == key.size();
}

std::optional<std::string> termcap_entry::str(std::string_view key) const {
  const std::string* c = find(key);
  if (c == nullptr || c->size() <= key.size() || (*c)[key.size()] != '=') return std::nullopt;
  std::string out;
  for (std::size_t i = key.size() + 1; i < c->size(); ++i) {
    const char ch = (*c)[i];
    if (ch == '"') continue;
    if (ch == '\\' && i + 1 < c->size()) {
      out += (*c)[++i];
      continue;
    }
    out += ch;
  }
  return out;
}

result<std::optional<std::uint64_t>, std::string> termcap_entry::num(std::string_view key) const {
  const std::string* c = find(key);
  if (c == nullptr || c->size() <= key.size() || (*c)[key.size()] != '#')
    return std::optional<std::uint64_t>{};
  std::string_view v = std::string_view(*c).substr(key.size() + 1);
  int base = 10;
  std::string_view digits = v;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    digits = v.substr(2);
  } else if (v.size() > 1 && v[0] == '0') {
    base = 8;
    digits = v.substr(1);
  }
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, base);
  if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size())
    return unexpected{"bad number \"" + std::string(v) + "\" for " + std::string(key)};
  return std::optional<std::uint64_t>{n};
}

result<node::rtadv_config, std::string> rtadvd_getconfig(const std::string& ifname,
                                                         const std::optional<termcap_entry>& e,
                                                         std::vector<std::string>& info) {
  node::rtadv_config c;
  c.ifname = ifname;
  if (!e)
    info.push_back("<getconfig> " + ifname +
                   " isn't defined in the configuration file or the configuration file doesn't "
                   "exist. Treat it as default");
  const termcap_entry none{{}};
  const termcap_entry& t = e ? *e : none;
  constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
  // key#number, or the default; values beyond 32 bits are out of any range.
  auto number = [&](std::string_view key,
                    std::uint64_t dflt) -> result<std::uint64_t, std::string> {
    auto v = t.num(key);
    if (!v) return unexpected{"<getconfig> " + v.error() + " on " + ifname};
    if (*v && **v > u32)
      return unexpected{"<getconfig> " + std::string(key) + " (" + std::to_string(**v) + ") on " +
                        ifname + " is out of range"};
    return v->value_or(dflt);
  };
#define UMI_NUM(var, key, dflt)             \
  do {                                      \
    auto r_ = number(key, dflt);            \
    if (!r_) return unexpected{r_.error()}; \
    var = static_cast<decltype(var)>(*r_);  \
  } while (0)
  UMI_NUM(c.maxinterval, "maxinterval", 600);
  UMI_NUM(c.mininterval, "mininterval", c.maxinterval / 3);
  UMI_NUM(c.chlim, "chlim", 64);
  if (auto s = t.str("raflags")) {
    // Later rtadvd.conf: letters m (managed), o (other), h / l (preference).
    unsigned f = 0;
    for (char ch : *s) {
      switch (ch) {
        case 'm':
          f |= 0x80;
          break;
        case 'o':
          f |= 0x40;
          break;
        case 'h':
          f |= 0x08;
          break;
        case 'l':
          f |= 0x18;
          break;
        default:
          return unexpected{"<getconfig> invalid raflags \"" + *s + "\" on " + ifname};
      }
    }
    c.raflags = f;
  } else {
    UMI_NUM(c.raflags, "raflags", 0);
  }
  UMI_NUM(c.rltime, "rltime", 1800);
  UMI_NUM(c.rtime, "rtime", 0);
  UMI_NUM(c.retrans, "retrans", 0);
  UMI_NUM(c.mtu, "mtu", 0);
  c.nolladdr = t.flag("nolladdr");

  std::vector<std::string> suffixes;
  auto addrs = t.num("addrs");
  if (!addrs) return unexpected{"<getconfig> " + addrs.error() + " on " + ifname};
  if (*addrs) {
    // Guide-era rtadvd.conf: addrs#N prefixes, indexed 0..N-1 when N > 1.
    if (**addrs > 100)
      return unexpected{"<getconfig> addrs (" + std::to_string(**addrs) + ") on " + ifname +
                        " is out of range"};
    for (std::uint64_t i = 0; i < **addrs; ++i)
      suffixes.push_back(**addrs == 1 ? "" : std::to_string(i));
    for (const auto& sfx : suffixes)
      if (!t.str("addr" + sfx))
        return unexpected{"<getconfig> need addr" + sfx + " as a prefix for interface " + ifname};
  } else {
    if (t.str("addr")) suffixes.push_back("");
    for (int i = 0; i < 100; ++i)
      if (t.str("addr" + std::to_string(i))) suffixes.push_back(std::to_string(i));
  }
  if (!suffixes.empty()) c.prefixes.emplace();
  for (const auto& sfx : suffixes) {
    const std::string text = *t.str("addr" + sfx);
    auto a = ip6_addr::parse(text);
    if (!a) return unexpected{"<getconfig> inet_pton failed for " + text};
    wire::ra_prefix p;
    p.prefix = *a;
    std::uint64_t plen = 64;
    UMI_NUM(plen, "prefixlen" + sfx, 64);
    if (plen > 128)
      return unexpected{fmt("<getconfig> prefixlen (%llu) for %s on %s out of range",
                            static_cast<unsigned long long>(plen), text.c_str(), ifname.c_str())};
    p.plen = static_cast<std::uint8_t>(plen);
    if (auto s = t.str("pinfoflags" + sfx)) {
      unsigned f = 0;
      for (char ch : *s) {
        if (ch == 'l') {
          f |= wire::pi_flag_onlink;
        } else if (ch == 'a') {
          f |= wire::pi_flag_auto;
        } else {
          return unexpected{"<getconfig> invalid pinfoflags \"" + *s + "\" for " + text + " on " +
                            ifname};
        }
      }
      p.flags = static_cast<std::uint8_t>(f);
    } else {
      std::uint64_t f = 0xc0;
      UMI_NUM(f, "pinfoflags" + sfx, 0xc0);
      if (f > 255)
        return unexpected{fmt("<getconfig> pinfoflags (%llu) for %s/%u on %s is out of range",
                              static_cast<unsigned long long>(f), text.c_str(), unsigned{p.plen},
                              ifname.c_str())};
      p.flags = static_cast<std::uint8_t>(f);
    }
    for (const char* which : {"vltime", "pltime"}) {
      auto v = t.num(which + sfx);
      if (!v) return unexpected{"<getconfig> " + v.error() + " on " + ifname};
      const std::uint64_t dflt =
          which[0] == 'v' ? node::rtadv_const::def_vltime : node::rtadv_const::def_pltime;
      const std::uint64_t n = v->value_or(dflt);
      if (n > u32)
        return unexpected{fmt("<getconfig> %s (%llu) for %s/%u on %s is out of range", which,
                              static_cast<unsigned long long>(n), text.c_str(), unsigned{p.plen},
                              ifname.c_str())};
      (which[0] == 'v' ? p.vltime : p.pltime) = static_cast<std::uint32_t>(n);
    }
    if (p.prefix.is_link_local())
      info.push_back("<getconfig> link-local prefix (" + text + ") will be advertised on " +
                     ifname);
    c.prefixes->push_back(p);
  }
#undef UMI_NUM
  if (auto err = node::validate_rtadv_config(c)) return unexpected{*err};
  return c;
}

namespace {

std::uint64_t field(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return static_cast<std::uint64_t>(std::max<std::int64_t>(v->as_int64(), 0));
  return 0;
}

std::string ctime_of(std::time_t t) {
  char buf[32];
  return ::ctime_r(&t, buf) != nullptr ? std::string(buf) : std::string("?\n");
}

}  // namespace

std::string format_rtadvd_dump(const boost::json::object& status, std::time_t now) {
  std::string s;
  const auto* ifs = status.if_contains("interfaces");
  if (ifs == nullptr || !ifs->is_array()) return s;
  for (const auto& v : ifs->as_array()) {
    if (!v.is_object()) continue;
    const auto& o = v.as_object();
    auto str = [&o](std::string_view k) {
      const auto* x = o.if_contains(k);
      return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    auto yes = [&o](std::string_view k) {
      const auto* x = o.if_contains(k);
      return x != nullptr && x->is_bool() && x->as_bool();
    };
    s += str("name") + ":\n";
    s += std::string("  Status: ") + (yes("up") ? "UP" : "DOWN") + "\n";
    if (const auto* ago = o.if_contains("last_ra_ago_ms"); ago != nullptr && !ago->is_null())
      s += "  Last RA sent: " +
           ctime_of(now - static_cast<std::time_t>(field(o, "last_ra_ago_ms") / 1000));
    if (yes("stopping")) {
      s += "  RA timer is stopped\n";
    } else {
      s += "  Next RA will be sent: " +
           ctime_of(now + static_cast<std::time_t>(field(o, "next_ra_in_ms") / 1000));
    }
    s += fmt("  waits: %llu, initcount: %llu\n", static_cast<unsigned long long>(field(o, "waits")),
             static_cast<unsigned long long>(field(o, "initcount")));
    s += fmt("  statistics: RA(out/in/inconsistent): %llu/%llu/%llu, RS(input/bad): %llu/%llu\n",
             static_cast<unsigned long long>(field(o, "ra_out")),
             static_cast<unsigned long long>(field(o, "ra_in")),
             static_cast<unsigned long long>(field(o, "ra_inconsistent")),
             static_cast<unsigned long long>(field(o, "rs_in")),
             static_cast<unsigned long long>(field(o, "rs_bad")));
    if (!yes("nolladdr")) s += "  Link-layer address: " + str("lladdr") + "\n";
    s += fmt("  MTU: %llu\n", static_cast<unsigned long long>(field(o, "link_mtu")));
    s += fmt("  DefaultLifetime: %llu, MaxAdvInterval: %llu, MinAdvInterval: %llu\n",
             static_cast<unsigned long long>(field(o, "rltime")),
             static_cast<unsigned long long>(field(o, "maxinterval")),
             static_cast<unsigned long long>(field(o, "mininterval")));
    const std::uint64_t f = field(o, "raflags");
    const char* pref = (f & 0x18) == 0x08 ? "high" : (f & 0x18) == 0x18 ? "low" : "medium";
    s += fmt("  Flags: %s%s, Preference: %s, MTU: %llu\n", (f & 0x80) ? "M" : "",
             (f & 0x40) ? "O" : "", pref, static_cast<unsigned long long>(field(o, "mtu")));
    s += fmt("  ReachableTime: %llu, RetransTimer: %llu, CurHopLimit: %llu\n",
             static_cast<unsigned long long>(field(o, "rtime")),
             static_cast<unsigned long long>(field(o, "retrans")),
             static_cast<unsigned long long>(field(o, "chlim")));
    const auto* ps = o.if_contains("prefixes");
    if (ps == nullptr || !ps->is_array() || ps->as_array().empty()) continue;
    s += "  Prefixes:\n";
    for (const auto& pv : ps->as_array()) {
      if (!pv.is_object()) continue;
      const auto& p = pv.as_object();
      auto pstr = [&p](std::string_view k) {
        const auto* x = p.if_contains(k);
        return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      const std::uint64_t pf = field(p, "pinfoflags");
      s += fmt("    %s/%llu(%s, vltime: %llu, pltime: %llu, flags: %s%s)\n", pstr("addr").c_str(),
               static_cast<unsigned long long>(field(p, "prefixlen")), pstr("origin").c_str(),
               static_cast<unsigned long long>(field(p, "vltime")),
               static_cast<unsigned long long>(field(p, "pltime")), (pf & 0x80) ? "L" : "",
               (pf & 0x40) ? "A" : "");
    }
  }
  return s;
}

boost::json::object rtadv_config_json(const node::rtadv_config& c) {
  boost::json::object o{
      {"name", c.ifname},      {"maxinterval", c.maxinterval}, {"mininterval", c.mininterval},
      {"chlim", c.chlim},      {"raflags", c.raflags},         {"rltime", c.rltime},
      {"rtime", c.rtime},      {"retrans", c.retrans},         {"mtu", c.mtu},
      {"nolladdr", c.nolladdr}};
  if (c.prefixes) {
    boost::json::array ps;
    for (const auto& p : *c.prefixes)
      ps.push_back(boost::json::object{{"addr", p.prefix.to_string()},
                                       {"prefixlen", p.plen},
                                       {"pinfoflags", p.flags},
                                       {"vltime", p.vltime},
                                       {"pltime", p.pltime}});
    o["prefixes"] = std::move(ps);
  }
  return o;
}

}  // namespace umi::tools
