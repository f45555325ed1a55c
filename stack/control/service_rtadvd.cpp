// Control requests of rtadvd (PROTOCOL.md "Router advertisement"): start and
// stop advertising on interfaces, report what is advertised, and stream the
// advertiser's log lines to the rtadvd that asked.
#include <algorithm>
#include <limits>

#include "stack/control/service.hpp"

namespace umi::control {

namespace json = boost::json;

namespace {

using rtadvd_error = std::pair<std::string, std::string>;

struct bad_arg {
  std::string message;
};

std::optional<std::uint64_t> get_uint(const json::object& o, std::string_view key,
                                      std::uint64_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  const json::value& v = it->value();
  if (!(v.is_uint64() || (v.is_int64() && v.as_int64() >= 0)))
    throw bad_arg{"argument '" + std::string(key) + "' must be a non-negative integer"};
  const std::uint64_t n = v.to_number<std::uint64_t>();
  if (n > max) throw bad_arg{"argument '" + std::string(key) + "' is out of range"};
  return n;
}

node::rtadv_config parse_config(const json::object& o) {
  node::rtadv_config c;
  auto name = o.find("name");
  if (name == o.end() || !name->value().is_string())
    throw bad_arg{"each interface needs a 'name' string"};
  c.ifname = std::string(name->value().as_string());
  constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
  if (auto v = get_uint(o, "maxinterval", u32)) c.maxinterval = static_cast<unsigned>(*v);
  c.mininterval = c.maxinterval / 3;
  if (auto v = get_uint(o, "mininterval", u32)) c.mininterval = static_cast<unsigned>(*v);
  if (auto v = get_uint(o, "chlim", u32)) c.chlim = static_cast<unsigned>(*v);
  if (auto v = get_uint(o, "raflags", u32)) c.raflags = static_cast<unsigned>(*v);
  if (auto v = get_uint(o, "rltime", u32)) c.rltime = static_cast<unsigned>(*v);
  if (auto v = get_uint(o, "rtime", u32)) c.rtime = static_cast<std::uint32_t>(*v);
  if (auto v = get_uint(o, "retrans", u32)) c.retrans = static_cast<std::uint32_t>(*v);
  if (auto v = get_uint(o, "mtu", u32)) c.mtu = static_cast<unsigned>(*v);
  if (auto it = o.find("nolladdr"); it != o.end() && it->value().is_bool())
    c.nolladdr = it->value().as_bool();
  auto pit = o.find("prefixes");
  if (pit == o.end() || pit->value().is_null()) return c;
  if (!pit->value().is_array()) throw bad_arg{"'prefixes' must be an array"};
  c.prefixes.emplace();
  for (const auto& pv : pit->value().as_array()) {
    if (!pv.is_object()) throw bad_arg{"each prefix must be an object"};
    const auto& po = pv.as_object();
    auto addr = po.find("addr");
    if (addr == po.end() || !addr->value().is_string())
      throw bad_arg{"each prefix needs an 'addr' string"};
    auto a = ip6_addr::parse(std::string(addr->value().as_string()));
    if (!a)
      throw bad_arg{"<getconfig> inet_pton failed for " + std::string(addr->value().as_string())};
    wire::ra_prefix p;
    p.prefix = *a;
    p.plen = static_cast<std::uint8_t>(get_uint(po, "prefixlen", 255).value_or(64));
    p.flags = static_cast<std::uint8_t>(get_uint(po, "pinfoflags", 255).value_or(0xc0));
    p.vltime = static_cast<std::uint32_t>(get_uint(po, "vltime", u32).value_or(2592000));
    p.pltime = static_cast<std::uint32_t>(get_uint(po, "pltime", u32).value_or(604800));
    c.prefixes->push_back(p);
  }
  return c;
}

json::object render_config(node::node& n, const node::router_advertiser::iface_state& s) {
  const auto ra = n.rtadv().make_ra(s);
  json::array prefixes;
  for (const auto& p : ra.prefixes)
    prefixes.push_back(json::object{{"addr", p.prefix.to_string()},
                                    {"prefixlen", p.plen},
                                    {"pinfoflags", p.flags},
                                    {"vltime", p.vltime},
                                    {"pltime", p.pltime},
                                    {"origin", s.cfg.prefixes ? "CONFIG" : "KERNEL"}});
  const auto& c = s.counters;
  const auto ms = [](umi::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  const node::interface* ifp = n.interface_by_index(s.ifindex);
  const umi::time_point now = n.now();
  return {{"name", s.cfg.ifname},
          {"up", ifp != nullptr && ifp->usable()},
          {"lladdr", ifp != nullptr ? ifp->mac.to_string() : ""},
          {"link_mtu", ifp != nullptr ? ifp->mtu : 0u},
          {"last_ra_ago_ms",
           s.last_multicast ? json::value(ms(now - *s.last_multicast)) : json::value(nullptr)},
          {"next_ra_in_ms", ms(std::min(s.next_ra, s.rs_reply_at.value_or(s.next_ra)) - now)},
          {"waits", s.rs_reply_at ? 1 : 0},
          {"initcount", s.initial_sent},
          {"maxinterval", s.cfg.maxinterval},
          {"mininterval", s.cfg.mininterval},
          {"chlim", s.cfg.chlim},
          {"raflags", s.cfg.raflags},
          {"rltime", s.cfg.rltime},
          {"rtime", s.cfg.rtime},
          {"retrans", s.cfg.retrans},
          {"mtu", s.cfg.mtu},
          {"nolladdr", s.cfg.nolladdr},
          {"prefixes", std::move(prefixes)},
          {"stopping", s.final_left != 0},
          {"ra_out", c.ra_out},
          {"rs_in", c.rs_in},
          {"ra_in", c.ra_in},
          {"ra_inconsistent", c.ra_inconsistent},
          {"rs_bad", c.rs_bad}};
}

}  // namespace

result<json::value, rtadvd_error> control_service::op_rtadvd(session* s, std::int64_t id,
                                                             const std::string& op,
                                                             const json::object& a) {
  auto& adv = node_.rtadv();
  if (op == "rtadvd_status") {
    json::array out;
    for (const auto& [ifx, st] : adv.interfaces()) out.push_back(render_config(node_, st));
    return json::value(json::object{{"interfaces", std::move(out)}});
  }
  if (op == "rtadvd_stop") {
    std::vector<unsigned> which;
    if (auto it = a.find("interfaces"); it != a.end() && it->value().is_array()) {
      for (const auto& v : it->value().as_array()) {
        if (!v.is_string())
          return unexpected{rtadvd_error{"bad_request", "interface names are strings"}};
        node::interface* ifp = node_.find_interface(std::string(v.as_string()));
        if (ifp == nullptr)
          return unexpected{
              rtadvd_error{"ENXIO", "interface " + std::string(v.as_string()) + " does not exist"}};
        which.push_back(ifp->index);
      }
    } else if (s != nullptr && !s->rtadvd_ifaces.empty()) {
      which.assign(s->rtadvd_ifaces.begin(), s->rtadvd_ifaces.end());
    } else {
      for (const auto& [ifx, st] : adv.interfaces()) which.push_back(ifx);
    }
    json::array stopped;
    for (unsigned ifx : which) {
      if (adv.stop(ifx)) stopped.push_back(json::value(node_.interface_by_index(ifx)->name));
      for (const auto& other : sessions_) other->rtadvd_ifaces.erase(ifx);
    }
    if (s != nullptr && s->rtadvd_ifaces.empty()) s->rtadvd_follow.reset();
    return json::value(json::object{{"stopped", std::move(stopped)}});
  }
  // rtadvd_start
  std::vector<node::rtadv_config> cfgs;
  try {
    auto it = a.find("interfaces");
    if (it == a.end() || !it->value().is_array() || it->value().as_array().empty())
      throw bad_arg{"missing argument 'interfaces'"};
    for (const auto& v : it->value().as_array()) {
      if (!v.is_object()) throw bad_arg{"each interface must be an object"};
      cfgs.push_back(parse_config(v.as_object()));
    }
  } catch (const bad_arg& e) {
    return unexpected{rtadvd_error{"EINVAL", e.message}};
  }
  bool static_prefixes = false;
  if (auto it = a.find("static"); it != a.end() && it->value().is_bool())
    static_prefixes = it->value().as_bool();
  std::vector<unsigned> started;
  for (auto& c : cfgs) {
    const std::string name = c.ifname;
    if (auto e = node_.rtadv_start(std::move(c), static_prefixes)) {
      for (unsigned ifx : started) adv.cancel(ifx);  // all or nothing, as rtadvd exits
      return unexpected{rtadvd_error{"EINVAL", *e}};
    }
    started.push_back(node_.find_interface(name)->index);
  }
  json::array names;
  for (unsigned ifx : started) {
    names.push_back(json::value(node_.interface_by_index(ifx)->name));
    if (s != nullptr) s->rtadvd_ifaces.insert(ifx);
  }
  if (auto it = a.find("follow");
      s != nullptr && it != a.end() && it->value().is_bool() && it->value().as_bool())
    s->rtadvd_follow = id;
  return json::value(json::object{{"interfaces", std::move(names)}});
}

void control_service::on_rtadvd_log(const std::string& line, int priority) {
  for (const auto& s : sessions_)
    if (s->rtadvd_follow)
      s->send({{"id", *s->rtadvd_follow},
               {"event", "rtadvd_log"},
               {"data", {{"message", line}, {"priority", priority}}}});
}

// An rtadvd that goes away without stopping (killed, crashed) takes its
// advertisements with it: final RAs, as if it had been sent SIGTERM.
void control_service::rtadvd_session_closed(session* s) {
  for (unsigned ifx : s->rtadvd_ifaces) node_.rtadv().stop(ifx);
  s->rtadvd_ifaces.clear();
  s->rtadvd_follow.reset();
}

}  // namespace umi::control
