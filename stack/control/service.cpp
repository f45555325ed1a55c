#include "stack/control/service.hpp"

#include "stack/ip4/input.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/nodeinfo.hpp"

#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace umi::control {

namespace json = boost::json;
namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;

namespace {

json::object error_reply(std::int64_t id, std::string_view code, std::string_view message) {
  return {{"id", id}, {"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

json::object ok_reply(std::int64_t id, json::value result) {
  return {{"id", id}, {"ok", true}, {"result", std::move(result)}};
}

struct op_error {
  std::string code;
  std::string message;
};

// Argument helpers that throw op_error (caught in handle()).
std::string arg_str(const json::object& a, std::string_view key, bool required = true) {
  auto it = a.find(key);
  if (it == a.end() || it->value().is_null()) {
    if (required) throw op_error{"bad_request", "missing argument '" + std::string(key) + "'"};
    return {};
  }
  if (!it->value().is_string())
    throw op_error{"bad_request", "argument '" + std::string(key) + "' must be a string"};
  return std::string(it->value().as_string());
}

std::optional<std::int64_t> arg_int(const json::object& a, std::string_view key) {
  auto it = a.find(key);
  if (it == a.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_int64() && !it->value().is_uint64())
    throw op_error{"bad_request", "argument '" + std::string(key) + "' must be an integer"};
  return it->value().to_number<std::int64_t>();
}

bool arg_bool(const json::object& a, std::string_view key, bool dflt) {
  auto it = a.find(key);
  if (it == a.end() || it->value().is_null()) return dflt;
  if (!it->value().is_bool())
    throw op_error{"bad_request", "argument '" + std::string(key) + "' must be a boolean"};
  return it->value().as_bool();
}

template <class T>
T check(node::node_result<T> r) {
  if (!r) throw op_error{node::errc_name(r.error().code), r.error().message};
  return std::move(r.value());
}

// Destination, interface, source and hop limit of a ping6_send or ni_send.
node::send_request ping_target(node::node& n, const json::object& a) {
  auto dst = parse_scoped(n, arg_str(a, "dst"));
  if (!dst) throw op_error{"EINVAL", dst.error()};
  node::send_request r;
  r.dst = dst->addr;
  r.ifindex = dst->ifindex;
  if (const std::string ifname = arg_str(a, "ifname", false); !ifname.empty()) {
    node::interface* ifp = n.find_interface(ifname);
    if (ifp == nullptr) throw op_error{"ENXIO", ifname + ": invalid interface name"};
    if (r.ifindex && r.ifindex != ifp->index)
      throw op_error{"EINVAL", "zone does not match interface " + ifname};
    r.ifindex = ifp->index;
  }
  if (const std::string src = arg_str(a, "src", false); !src.empty()) {
    auto sa = parse_scoped(n, src);
    if (!sa) throw op_error{"EINVAL", "invalid source address: " + src};
    r.src = sa->addr;
  }
  if (auto h = arg_int(a, "hlim")) {
    if (*h < 0 || *h > 255) throw op_error{"EINVAL", "illegal hoplimit -- " + std::to_string(*h)};
    r.hop_limit = static_cast<std::uint8_t>(*h);
  }
  return r;
}

std::string media_name(std::uint32_t mbps) {
  switch (mbps) {
    case 10:
      return "10baseT";
    case 100:
      return "100baseTX";
    case 1000:
      return "1000baseT";
    case 2500:
      return "2500baseT";
    case 10000:
      return "10GbaseT";
    case 25000:
      return "25GbaseCR";
    case 40000:
      return "40GbaseCR4";
    case 100000:
      return "100GbaseCR4";
    default:
      return "autoselect";
  }
}

// BSD IFF_* bits as KAME ifconfig prints them.
constexpr unsigned iff_up = 0x1, iff_broadcast = 0x2, iff_running = 0x40, iff_simplex = 0x800,
                   iff_multicast = 0x8000;

// Seconds until `t` (never negative), or null for an infinite lifetime.
json::value seconds_left(const node::node& n, const std::optional<time_point>& t) {
  if (!t) return nullptr;
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(*t - n.now()).count());
}

json::object render_interface(const node::node& n, const node::interface& i) {
  unsigned flags = iff_broadcast | iff_simplex | iff_multicast;
  if (i.up) flags |= iff_up;
  if (i.up && i.link) flags |= iff_running;
  json::array inet6;
  for (const auto& a : i.addrs) {
    json::array f;
    if (a.anycast) f.emplace_back("anycast");
    if (a.tentative) f.emplace_back("tentative");
    if (a.duplicated) f.emplace_back("duplicated");
    if (a.deprecated) f.emplace_back("deprecated");
    if (a.autoconf) f.emplace_back("autoconf");
    inet6.push_back(json::object{{"addr", a.addr.to_string()},
                                 {"prefixlen", a.plen},
                                 {"scopeid", a.addr.is_link_local() ? i.index : 0u},
                                 {"flags", std::move(f)},
                                 {"pltime", seconds_left(n, a.preferred_until)},
                                 {"vltime", seconds_left(n, a.valid_until)}});
  }
  json::array inet;
  for (const auto& a : i.addrs4)
    inet.push_back(json::object{{"addr", wire::ip4_to_string(a.addr)},
                                {"prefixlen", a.plen},
                                {"broadcast", wire::ip4_to_string(a.broadcast())}});
  // ndp -i: the link parameters, as router advertisements set them.
  const auto& nd = n.config().nd;
  json::object ndinfo{
      {"linkmtu", n.link_mtu(i)},
      {"maxmtu", i.mtu},
      {"curhlim", n.hop_limit_for(i.index)},
      {"basereachable",
       std::chrono::duration_cast<std::chrono::milliseconds>(nd.base_reachable_time).count()},
      {"reachable",
       std::chrono::duration_cast<std::chrono::seconds>(n.neighbors().reachable_time()).count()},
      {"retrans", std::chrono::duration_cast<std::chrono::milliseconds>(nd.retrans_timer).count()},
      {"nud", true}};
  return {{"name", i.name},
          {"index", i.index},
          {"flags", flags},
          {"mtu", i.mtu},
          {"nd", std::move(ndinfo)},
          {"ether", i.mac.to_padded_string()},
          {"media", media_name(i.speed_mbps)},
          {"status", i.link ? "active" : "no carrier"},
          {"inet6", std::move(inet6)},
          {"inet", std::move(inet)}};
}

json::object render_neighbor(node::node& n, const nd::neighbor& e) {
  const node::interface* ifp = n.interface_by_index(e.ifindex);
  json::value expire = nullptr;
  if (!e.permanent) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(e.expire - n.now()).count();
    // STALE entries report "expired" (0), as KAME's ndp shows them.
    expire = e.state == nd::nud_state::stale ? 0 : std::max<std::int64_t>(left, 0);
  }
  const bool v4 = e.addr.b[10] == 0xff && e.addr.b[11] == 0xff && e.addr.b[0] == 0;
  return {{"family", v4 ? "inet" : "inet6"},
          {"addr", v4 ? wire::ip4_to_string(ip4::unmapped(e.addr)) : e.addr.to_string()},
          {"ifname", ifp ? ifp->name : "?"},
          {"scopeid", e.addr.is_link_local() ? e.ifindex : 0u},
          {"lladdr", e.lladdr ? json::value(e.lladdr->to_padded_string()) : json::value(nullptr)},
          {"state", nd::state_name(e.state)},
          {"expire", expire},
          {"router", e.router},
          {"probes", e.probes},
          {"static", e.is_static}};
}

std::string to_hex(const std::vector<std::uint8_t>& v) {
  std::string s;
  s.reserve(v.size() * 2);
  char buf[3];
  for (auto b : v) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(s.size() / 2);
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int h = nib(s[i]), l = nib(s[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(h * 16 + l));
  }
  return out;
}

}  // namespace

result<scoped_addr, std::string> parse_scoped(node::node& n, std::string_view text) {
  scoped_addr s;
  std::string_view a = text;
  if (auto pct = text.find('%'); pct != std::string_view::npos) {
    a = text.substr(0, pct);
    const std::string zone(text.substr(pct + 1));
    node::interface* ifp = n.find_interface(zone);
    if (ifp == nullptr) return unexpected{"interface " + zone + " does not exist"};
    s.ifindex = ifp->index;
  }
  auto parsed = ip6_addr::parse(a);
  if (!parsed) return unexpected{std::string(text) + ": invalid IPv6 address"};
  s.addr = *parsed;
  // KAME's embedded form: the zone of a link-local (or link/node-local
  // multicast) address in the second 16-bit word, e.g. fe80:2::1.
  const bool scoped =
      s.addr.is_link_local() || (s.addr.is_multicast() && s.addr.multicast_scope() <= 2);
  if (scoped && (s.addr.b[2] != 0 || s.addr.b[3] != 0)) {
    const unsigned zone = load_be16(&s.addr.b[2]);
    if (s.ifindex != 0 && s.ifindex != zone)
      return unexpected{std::string(text) + ": conflicting zones"};
    if (n.interface_by_index(zone) == nullptr)
      return unexpected{std::string(text) + ": no interface with index " + std::to_string(zone)};
    s.ifindex = zone;
    s.addr.b[2] = s.addr.b[3] = 0;
  }
  return s;
}

control_service::control_service(asio::io_context& io, node::node& n, std::string socket_path,
                                 service_hooks hooks)
    : io_(io), node_(n), path_(std::move(socket_path)), hooks_(std::move(hooks)) {
  node_.rtadv().on_log = [this](const std::string& line, int priority) {
    on_rtadvd_log(line, priority);
  };
}

control_service::~control_service() {
  close();
  node_.rtadv().on_log = nullptr;  // the node outlives us
}

result<void, std::string> control_service::listen() {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  if (std::filesystem::exists(path_, ec)) {
    // Someone answering there means another daemon owns this socket.
    local_stream::socket probe(io_);
    boost::system::error_code bec;
    probe.connect(local_stream::endpoint(path_), bec);
    if (!bec) return unexpected{"another umigamed is already listening on " + path_};
    std::filesystem::remove(path_, ec);
  }
  try {
    acceptor_ = std::make_unique<local_stream::acceptor>(io_, local_stream::endpoint(path_));
  } catch (const boost::system::system_error& e) {
    return unexpected{"cannot listen on " + path_ + ": " + e.code().message()};
  }
  // Anyone may connect (read-only requests are open); changes check the uid.
  ::chmod(path_.c_str(), 0666);
  accept();
  return ok;
}

void control_service::close() {
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
    std::error_code fec;
    std::filesystem::remove(path_, fec);
  }
  for (auto& s : std::set<std::shared_ptr<session>>(sessions_)) s->close();
  sessions_.clear();
}

void control_service::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, local_stream::socket sock) {
    if (ec) return;  // acceptor closed
    auto s = std::make_shared<session>(*this, std::move(sock));
    sessions_.insert(s);
    s->start();
    accept();
  });
}

void control_service::forget(session* s) {
  rtadvd_session_closed(s);
  // rtsold lives as long as its connection (the tool is the daemon process).
  for (const auto& [run, req] : s->rtsol_runs) node_.rtsol_stop(run);
  s->rtsol_runs.clear();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->get() == s) {
      sessions_.erase(it);
      return;
    }
  }
}

void control_service::on_echo(const node::echo_event& ev) {
  const node::interface* ifp = node_.interface_by_index(ev.ifindex);
  const bool v4 = ev.from.b[10] == 0xff && ev.from.b[11] == 0xff && ev.from.b[0] == 0;
  node::probe_event pe;
  pe.v4 = v4;
  pe.ident = ev.ident;
  pe.seq = ev.seq;
  pe.from = ev.from;
  pe.type = v4 ? 0 : 129;
  pe.hlim = ev.hlim;
  pe.len = ev.len;
  on_probe(pe);
  if (v4) return;  // IPv4 echo replies only answer probes (no IPv4 ping tool yet)
  for (const auto& s : sessions_) {
    auto it = s->ping_listeners.find(ev.ident);
    if (it == s->ping_listeners.end()) continue;
    s->send({{"id", it->second},
             {"event", "echo_reply"},
             {"data",
              {{"from", ev.from.to_string()},
               {"ifname", ifp ? ifp->name : ""},
               {"scopeid", ev.from.is_link_local() ? ev.ifindex : 0u},
               {"to", ev.to.to_string()},
               {"seq", ev.seq},
               {"hlim", ev.hlim},
               {"len", ev.len},
               {"payload_hex", to_hex(ev.payload)}}}});
  }
}

void control_service::on_probe(const node::probe_event& ev) {
  for (const auto& s : sessions_) {
    auto it = s->probe_listeners.find(ev.ident);
    if (it == s->probe_listeners.end()) continue;
    std::uint16_t seq = ev.seq;
    if (ev.port != 0) {
      auto b = s->probe_base.find(ev.ident);
      seq = static_cast<std::uint16_t>(ev.port - (b == s->probe_base.end() ? 0 : b->second));
    }
    s->send({{"id", it->second},
             {"event", "probe_reply"},
             {"data",
              {{"from", ev.v4 ? wire::ip4_to_string(ip4::unmapped(ev.from)) : ev.from.to_string()},
               {"family", ev.v4 ? "inet" : "inet6"},
               {"type", ev.type},
               {"code", ev.code},
               {"hlim", ev.hlim},
               {"port", ev.port},
               {"seq", seq},
               {"len", ev.len}}}});
  }
}

json::value control_service::op_probe_send(session* s, const json::object& a) {
  const bool v4 = arg_str(a, "family", false) == "inet";
  const std::string proto = arg_str(a, "proto", false);
  const bool icmp = proto == "icmp";
  if (!proto.empty() && !icmp && proto != "udp")
    throw op_error{"EINVAL", "proto must be udp or icmp"};
  const auto ident = static_cast<std::uint16_t>(arg_int(a, "ident").value_or(0));
  const auto port = static_cast<std::uint16_t>(arg_int(a, "port").value_or(33434));
  const auto seq = static_cast<std::uint16_t>(arg_int(a, "seq").value_or(0));
  const auto datalen = arg_int(a, "datalen").value_or(12);
  const auto hlim = arg_int(a, "hlim");
  if (datalen < 0 || datalen > 65000) throw op_error{"EINVAL", "packet size out of range"};
  // Replies name the probe by its UDP port; report it as base + seq.
  if (s && !icmp) s->probe_base[ident] = static_cast<std::uint16_t>(port - seq);
  if (hlim && (*hlim < 1 || *hlim > 255)) throw op_error{"EINVAL", "invalid hop limit"};
  std::vector<std::uint8_t> payload(8 + static_cast<std::size_t>(datalen), 0);
  if (icmp) {
    payload[0] = v4 ? 8 : 128;
    store_be16(&payload[4], ident);
    store_be16(&payload[6], seq);
  } else {
    store_be16(&payload[0], ident);
    store_be16(&payload[2], port);
    store_be16(&payload[4], static_cast<std::uint16_t>(payload.size()));
  }
  const std::string dst_text = arg_str(a, "dst");
  if (v4) {
    auto dst = wire::parse_ip4(dst_text);
    if (!dst) throw op_error{"EINVAL", "unknown host " + dst_text};
    node::node::send4_request r;
    r.dst = *dst;
    r.protocol = icmp ? 1 : 17;
    if (hlim) r.ttl = static_cast<std::uint8_t>(*hlim);
    if (const std::string src = arg_str(a, "src", false); !src.empty()) {
      auto sp = wire::parse_ip4(src);
      if (!sp) throw op_error{"EINVAL", "invalid source address: " + src};
      r.src = *sp;
    }
    r.payload = std::move(payload);
    const std::uint32_t used = check(node_.send4(std::move(r)));
    return json::object{{"src", wire::ip4_to_string(used)}, {"dst", dst_text}};
  }
  auto dst = parse_scoped(node_, dst_text);
  if (!dst) throw op_error{"EINVAL", dst.error()};
  node::send_request r;
  r.dst = dst->addr;
  r.ifindex = dst->ifindex;
  r.next_header = icmp ? 58 : 17;
  if (hlim) r.hop_limit = static_cast<std::uint8_t>(*hlim);
  if (const std::string ifname = arg_str(a, "ifname", false); !ifname.empty()) {
    const node::interface* ifp = node_.find_interface(ifname);
    if (ifp == nullptr) throw op_error{"ENXIO", ifname + ": invalid interface name"};
    r.ifindex = ifp->index;
  }
  if (const std::string src = arg_str(a, "src", false); !src.empty()) {
    auto sa = parse_scoped(node_, src);
    if (!sa) throw op_error{"EINVAL", "invalid source address: " + src};
    r.src = sa->addr;
  }
  r.payload = std::move(payload);
  auto res = check(node_.send(std::move(r)));
  return json::object{{"src", res.src.to_string()}, {"dst", dst->addr.to_string()}};
}

void control_service::on_icmp_error(const node::icmp_error_event& ev) {
  for (const auto& s : sessions_) {
    auto it = s->ping_listeners.find(ev.ident);
    if (it == s->ping_listeners.end()) continue;
    s->send({{"id", it->second},
             {"event", "icmp6_error"},
             {"data",
              {{"from", ev.from.to_string()},
               {"type", ev.type},
               {"code", ev.code},
               {"seq", ev.seq},
               {"mtu", ev.mtu}}}});
  }
}

void control_service::on_ni_reply(const node::ni_event& ev) {
  const node::interface* ifp = node_.interface_by_index(ev.ifindex);
  // ni_send puts the sequence number in nonce bytes 0-1 and the ident in 2-3.
  const std::uint16_t ident = load_be16(&ev.nonce[2]);
  for (const auto& s : sessions_) {
    auto it = s->ping_listeners.find(ident);
    if (it == s->ping_listeners.end()) continue;
    s->send({{"id", it->second},
             {"event", "ni_reply"},
             {"data",
              {{"from", ev.from.to_string()},
               {"ifname", ifp ? ifp->name : ""},
               {"scopeid", ev.from.is_link_local() ? ev.ifindex : 0u},
               {"to", ev.to.to_string()},
               {"seq", load_be16(&ev.nonce[0])},
               {"hlim", ev.hlim},
               {"len", ev.len},
               {"code", ev.code},
               {"qtype", ev.qtype},
               {"flags", ev.flags},
               {"data_hex", to_hex(ev.data)}}}});
  }
}

json::value control_service::op_ni_send(const json::object& a) {
  node::send_request r = ping_target(node_, a);
  wire::ni_repr q;
  q.type = wire::icmp6_type::ni_query;
  const auto qtype = arg_int(a, "qtype").value_or(wire::ni::qtype_noop);
  const auto flags = arg_int(a, "flags").value_or(0);
  if (qtype < 0 || qtype > 0xffff || flags < 0 || flags > 0xffff)
    throw op_error{"EINVAL", "qtype and flags are 16-bit values"};
  q.qtype = static_cast<std::uint16_t>(qtype);
  q.flags = static_cast<std::uint16_t>(flags);
  store_be16(&q.nonce[0], static_cast<std::uint16_t>(arg_int(a, "seq").value_or(0)));
  store_be16(&q.nonce[2], static_cast<std::uint16_t>(arg_int(a, "ident").value_or(0)));
  static std::random_device rd;
  store_be32(&q.nonce[4], rd());
  // RFC 4620 §4: the subject, by type; an IPv6 subject defaults to the
  // destination (KAME ping6 -w/-a).
  const std::string type = arg_str(a, "subject_type", false);
  const std::string subject = arg_str(a, "subject", false);
  if (type.empty() || type == "ipv6") {
    q.code = wire::ni::subj_ipv6;
    ip6_addr s = r.dst;
    if (!subject.empty()) {
      auto p = parse_scoped(node_, subject);
      if (!p) throw op_error{"EINVAL", "invalid subject address: " + subject};
      s = p->addr;
    }
    q.data.assign(s.b.begin(), s.b.end());
  } else if (type == "name") {
    q.code = wire::ni::subj_name;
    auto n = wire::encode_dns_name(subject);
    if (!n) throw op_error{"EINVAL", "invalid subject name: " + subject};
    q.data = std::move(*n);
  } else if (type == "ipv4") {
    q.code = wire::ni::subj_ipv4;
    auto v4 = wire::parse_ip4(subject);
    if (!v4) throw op_error{"EINVAL", "invalid subject address: " + subject};
    q.data.resize(4);
    store_be32(q.data.data(), *v4);
  } else if (type == "none") {
    q.code = wire::ni::subj_name;  // RFC 4620 §5: empty subject (NOOP, Supported Qtypes)
  } else if (type == "draft03") {
    q.code = wire::ni::subj_ipv6;  // ping6 -W: no subject at all
  } else {
    throw op_error{"EINVAL", "subject_type must be ipv6, name, ipv4, none or draft03"};
  }
  r.payload = q.emit();
  const ip6_addr dst = r.dst;
  auto res = check(node_.send(std::move(r)));
  const node::interface* ifp = node_.interface_by_index(res.ifindex);
  return json::object{{"src", res.src.to_string()},
                      {"dst", dst.to_string()},
                      {"ifname", ifp ? ifp->name : ""},
                      {"len", q.emit().size()}};
}

json::value control_service::op_interfaces(const json::object& args) {
  json::array out;
  const std::string name = arg_str(args, "name", false);
  if (!name.empty()) {
    node::interface* ifp = node_.find_interface(name);
    if (ifp == nullptr) throw op_error{"ENXIO", "interface " + name + " does not exist"};
    out.push_back(render_interface(node_, *ifp));
  } else {
    for (const auto& i : node_.interfaces()) out.push_back(render_interface(node_, i));
  }
  return json::object{{"interfaces", std::move(out)}};
}

// A link-scope destination is stored with its embedded zone; it is shown as
// `fe80::%de0` (kame-cli.md §5).
std::string control_service::route_dest_text(const ip6_addr& dest) const {
  const unsigned zone = embedded_zone(dest);
  if (zone == 0) return dest.to_string();
  const node::interface* ifp = node_.interface_by_index(zone);
  return without_zone(dest).to_string() + "%" + (ifp ? ifp->name : std::to_string(zone));
}

json::object control_service::render_route(const route6& r) const {
  const nexthop& nh = (r.v4 ? node_.routes4() : node_.routes()).hop(r.nh);
  json::value gw = nullptr;
  std::string ifname;
  if (const node::interface* ifp = node_.interface_by_index(nh.ifindex)) ifname = ifp->name;
  if (nh.gateway) {
    std::string g =
        r.v4 ? wire::ip4_to_string(ip4::unmapped(*nh.gateway)) : nh.gateway->to_string();
    if (!r.v4 && nh.gateway->is_link_local() && !ifname.empty()) g += "%" + ifname;
    gw = g;
  }
  if (nh.type != nh_type::forward) {  // KAME: local, reject and blackhole routes point at lo0
    gw =
        r.kind == route_kind::host ? json::value(nullptr) : json::value(r.v4 ? "127.0.0.1" : "::1");
    ifname = "lo0";
  }
  json::value expire = nullptr;
  if (r.expire)
    expire = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(*r.expire - node_.now()).count());
  const node::interface* ifp = node_.interface_by_index(nh.ifindex);
  return {{"family", r.v4 ? "inet" : "inet6"},
          {"dest", r.v4 ? wire::ip4_to_string(ip4::unmapped(r.dest)) : route_dest_text(r.dest)},
          {"prefixlen", r.v4 ? r.plen - 96 : r.plen},
          {"gateway", gw},
          {"ifname", ifname},
          {"flags", route_flags(r, nh)},
          {"refs", nh.refs},
          {"use", (hooks_.nexthop_use ? hooks_.nexthop_use(r.nh, r.v4) : 0) +
                      node_.slow_path_use(r.nh, r.v4)},
          {"mtu", ifp ? ifp->mtu : 0u},
          {"expire", expire},
          {"kind", nh.type == nh_type::reject      ? "reject"
                   : nh.type == nh_type::blackhole ? "blackhole"
                                                   : route_kind_name(r.kind)}};
}

void control_service::on_route_event(const char* type, const route6& r) {
  const json::object rendered = render_route(r);
  for (const auto& s : sessions_) {
    if (!s->route_monitor) continue;
    s->send({{"id", *s->route_monitor},
             {"event", "route"},
             {"data", {{"type", type}, {"route", rendered}}}});
  }
}

namespace {
// "default" | address, with prefixlen (IPv6: 64 for networks, 0 for
// default; IPv4: classful when no mask is given, as BSD route does). IPv4
// destinations come back IPv4-mapped with the length counted from 96.
struct route_dest {
  ip6_addr addr;
  unsigned plen;
};
bool is_inet(const json::object& a) {
  return arg_str(a, "family", false) == "inet";
}
void check_family(const json::object& a) {
  const std::string f = arg_str(a, "family", false);
  if (!f.empty() && f != "inet6" && f != "inet")
    throw op_error{"EAFNOSUPPORT", "address family " + f + " is not supported"};
}
route_dest parse_route_dest(const json::object& a) {
  const std::string d = arg_str(a, "dest");
  auto plen = arg_int(a, "prefixlen");
  if (is_inet(a)) {
    if (plen && (*plen < 0 || *plen > 32))
      throw op_error{"EINVAL", std::to_string(*plen) + ": bad value"};
    if (d == "default") return {ip4::mapped(0), 96u + (plen ? static_cast<unsigned>(*plen) : 0u)};
    auto p = wire::parse_ip4(d);
    if (!p) throw op_error{"EINVAL", d + ": bad address"};
    unsigned l = 32;
    if (plen) {
      l = static_cast<unsigned>(*plen);
    } else if (!arg_bool(a, "host", false)) {
      const std::uint32_t v = *p;
      l = (v >> 31) == 0 ? 8 : (v >> 30) == 2 ? 16 : (v >> 29) == 6 ? 24 : 32;
      while (l < 32 && (v & (0xffffffffu >> l)) != 0) l = l < 24 ? l + 8 : 32;
    }
    return {ip4::mapped(*p), 96 + l};
  }
  if (plen && (*plen < 0 || *plen > 128))
    throw op_error{"EINVAL", std::to_string(*plen) + ": bad value"};
  if (d == "default") return {ip6_addr{}, plen ? static_cast<unsigned>(*plen) : 0u};
  auto p = ip6_addr::parse(d);
  if (!p) throw op_error{"EINVAL", d + ": bad address"};
  if (arg_bool(a, "host", false) && !plen) return {*p, 128};
  return {*p, plen ? static_cast<unsigned>(*plen) : 64u};
}
}  // namespace

json::value control_service::op_route(const std::string& op, const json::object& a) {
  if (op == "routes") {
    json::array out;
    const std::string f = arg_str(a, "family", false);
    if (f.empty() || f == "inet")
      for (const auto& [k, r] : node_.routes4().routes()) out.push_back(render_route(r));
    if (f.empty() || f == "inet6")
      for (const auto& [k, r] : node_.routes().routes()) out.push_back(render_route(r));
    return json::object{{"routes", std::move(out)}};
  }
  if (op == "route_monitor") return json::object{};
  check_family(a);
  const bool v4 = is_inet(a);
  if (op == "route_flush") {
    std::optional<bool> fam;
    if (!arg_str(a, "family", false).empty()) fam = v4;
    // Render first: the next hops of flushed routes are released with them.
    json::array out;
    for (bool f4 : {true, false}) {
      if (fam && *fam != f4) continue;
      for (const auto& [k, r] : (f4 ? node_.routes4() : node_.routes()).routes())
        if (r.kind == route_kind::static_route || r.kind == route_kind::redirect ||
            r.kind == route_kind::default_router)
          out.push_back(render_route(r));
    }
    (void)node_.route_flush(fam);
    return json::object{{"deleted", std::move(out)}};
  }
  if (op == "route_get") {
    const std::string text = arg_str(a, "dest");
    ip6_addr key;
    if (v4) {
      auto p = wire::parse_ip4(text);
      if (!p) throw op_error{"EINVAL", text + ": bad address"};
      key = ip4::mapped(*p);
    } else {
      auto d = parse_scoped(node_, text);
      if (!d) throw op_error{"EINVAL", d.error()};
      key = d->addr;
    }
    const auto& table = v4 ? node_.routes4() : node_.routes();
    const route6* r = table.match(key);
    if (r == nullptr) throw op_error{"ESRCH", "not in table"};
    json::object res{
        {"route", render_route(*r)},
        {"destination", v4 ? wire::ip4_to_string(ip4::unmapped(key)) : key.to_string()}};
    const nexthop& nh = table.hop(r->nh);
    if (const node::interface* ifp = node_.interface_by_index(nh.ifindex)) {
      res["interface"] = ifp->name;
      if (v4 && !ifp->addrs4.empty())
        res["if_address"] = wire::ip4_to_string(ifp->addrs4.front().addr);
      for (const auto& ad : ifp->addrs)
        if (!v4 && !ad.addr.is_link_local()) {
          res["if_address"] = ad.addr.to_string();
          break;
        }
    }
    return res;
  }
  const route_dest dest = parse_route_dest(a);
  std::optional<ip6_addr> gw;
  unsigned zone = 0;
  if (const std::string g = arg_str(a, "gateway", false); !g.empty()) {
    if (v4) {
      auto p = wire::parse_ip4(g);
      if (!p) throw op_error{"EINVAL", g + ": bad address"};
      gw = ip4::mapped(*p);
    } else {
      auto sa = parse_scoped(node_, g);
      if (!sa) throw op_error{"EINVAL", sa.error()};
      gw = sa->addr;
      zone = sa->ifindex;
    }
  }
  if (op == "route_delete") {
    auto r = node_.route_delete(dest.addr, dest.plen, gw, v4);
    if (!r) throw op_error{node::errc_name(r.error().code), r.error().message};
    return json::object{};
  }
  node::route_spec spec;
  spec.dest = dest.addr;
  spec.plen = dest.plen;
  spec.gateway = gw;
  spec.ifindex = zone;
  spec.interface_route = arg_bool(a, "interface", false);
  spec.reject = arg_bool(a, "reject", false);
  spec.blackhole = arg_bool(a, "blackhole", false);
  spec.v4 = v4;
  if (const std::string ifn = arg_str(a, "ifname", false); !ifn.empty()) {
    const node::interface* ifp = node_.find_interface(ifn);
    if (ifp == nullptr) throw op_error{"ENXIO", "interface " + ifn + " does not exist"};
    spec.ifindex = ifp->index;
  }
  if (spec.interface_route && spec.ifindex == 0 && gw && !gw->is_link_local()) {
    // -interface with a gateway address: the interface that owns it.
    for (const auto& i : node_.interfaces()) {
      if (!v4 && i.find(*gw)) spec.ifindex = i.index;
      for (const auto& a4 : i.addrs4)
        if (v4 && a4.addr == ip4::unmapped(*gw)) spec.ifindex = i.index;
    }
  }
  auto r = node_.route_add(spec, op == "route_change");
  if (!r) throw op_error{node::errc_name(r.error().code), r.error().message};
  return json::object{};
}

namespace {
std::optional<std::uint32_t> arg_lifetime(const json::object& a, std::string_view key,
                                          std::uint32_t dflt) {
  auto it = a.find(key);
  if (it == a.end()) return dflt;
  if (it->value().is_null()) return std::nullopt;  // infinity
  if (it->value().is_string() && it->value().as_string() == "infinity") return std::nullopt;
  auto v = arg_int(a, key);
  if (!v || *v < 0 || *v > 0xffffffffLL) throw op_error{"EINVAL", std::string(key) + ": bad value"};
  if (*v == 0xffffffffLL) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}
}  // namespace

json::value control_service::op_prefix(const std::string& op, const json::object& a) {
  auto lifetime = [](const std::optional<std::uint32_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
  };
  if (op == "prefixes") {
    json::array out;
    for (const auto& p : node_.prefixes()) {
      const node::interface* ifp = node_.interface_by_index(p.ifindex);
      json::array routers;
      for (const auto& r : p.advertisers) {
        // ndp -p: the router's neighbour state (KAME: reachable when the
        // entry is past INCOMPLETE, "no neighbor state" without an entry).
        const nd::neighbor* nb = node_.neighbors().find(p.ifindex, r);
        const char* st = nb == nullptr                            ? "none"
                         : nb->state == nd::nud_state::incomplete ? "unreachable"
                                                                  : "reachable";
        routers.push_back(json::object{
            {"addr", r.to_string()}, {"ifname", ifp ? ifp->name : "?"}, {"state", st}});
      }
      out.push_back(json::object{{"prefix", p.prefix.to_string()},
                                 {"prefixlen", p.plen},
                                 {"ifname", ifp ? ifp->name : "?"},
                                 {"onlink", p.onlink},
                                 {"autonomous", p.autonomous},
                                 {"vltime", lifetime(p.vltime)},
                                 {"pltime", lifetime(p.pltime)},
                                 {"expire", seconds_left(node_, p.expire)},
                                 {"origin", p.from_ra ? "RA" : "static"},
                                 {"advertising_routers", std::move(routers)}});
    }
    return json::object{{"prefixes", std::move(out)}};
  }
  auto iface = [&](const std::string& name) {
    const node::interface* ifp = node_.find_interface(name);
    if (ifp == nullptr) throw op_error{"ENXIO", "interface " + name + " does not exist"};
    return ifp->index;
  };
  auto addr = [&](std::string_view key) {
    const std::string t = arg_str(a, key);
    auto p = ip6_addr::parse(t);
    if (!p) throw op_error{"EINVAL", t + ": bad value"};
    return *p;
  };
  auto len = [&](std::string_view key, unsigned dflt) {
    auto v = arg_int(a, key);
    if (v && (*v < 0 || *v > 128)) throw op_error{"EINVAL", std::to_string(*v) + ": bad value"};
    return v ? static_cast<unsigned>(*v) : dflt;
  };
  if (op == "prefix_set" || op == "prefix_delete") {
    const unsigned ifx = iface(arg_str(a, "name"));
    if (op == "prefix_delete") {
      check(node_.prefix_delete(ifx, addr("prefix"), len("prefixlen", 64)));
      return json::object{};
    }
    node::prefix_entry p;
    p.ifindex = ifx;
    p.prefix = addr("prefix");
    p.plen = len("prefixlen", 64);
    p.vltime = arg_lifetime(a, "vltime", 2592000);
    p.pltime = arg_lifetime(a, "pltime", 604800);
    p.onlink = arg_bool(a, "onlink", true);
    p.autonomous = arg_bool(a, "autonomous", true);
    check(node_.prefix_set(p));
    return json::object{};
  }
  node::renumber_spec r;
  if (auto it = a.find("names"); it != a.end() && it->value().is_array())
    for (const auto& n : it->value().as_array())
      if (n.is_string()) r.ifindexes.push_back(iface(std::string(n.as_string())));
  r.matchpr = addr("matchpr");
  r.mp_len = len("mp_len", 64);
  r.mp_minlen = len("mp_minlen", 0);
  r.mp_maxlen = len("mp_maxlen", 128);
  if (const std::string u = arg_str(a, "usepr", false); !u.empty()) r.usepr = addr("usepr");
  r.up_uselen = len("up_uselen", 0);
  r.up_keeplen = len("up_keeplen", 0);
  // kame-cli §3: with usepr and uselen < 64 and no keeplen, keep 64 - uselen bits.
  if (r.usepr && r.up_keeplen == 0 && r.up_uselen < 64) r.up_keeplen = 64 - r.up_uselen;
  const std::string o = arg_str(a, "op", false);
  r.operation = o == "change"      ? node::renumber_spec::op::change
                : o == "setglobal" ? node::renumber_spec::op::setglobal
                                   : node::renumber_spec::op::add;
  r.vltime = arg_lifetime(a, "vltime", 2592000);
  r.pltime = arg_lifetime(a, "pltime", 604800);
  r.onlink = arg_bool(a, "onlink", true);
  r.autonomous = arg_bool(a, "autonomous", true);
  auto res = node_.prefix_renumber(r);
  if (!res) {
    const auto& e = res.error();
    throw op_error{e.message == "permission denied" ? "EPERM" : node::errc_name(e.code), e.message};
  }
  json::array out;
  for (const auto& x : *res) {
    const node::interface* ifp = node_.interface_by_index(x.ifindex);
    out.push_back(json::object{{"ifname", ifp ? ifp->name : "?"},
                               {"from", x.from.to_string()},
                               {"to", x.to.to_string() + "/" + std::to_string(x.plen)}});
  }
  return json::object{{"renumbered", std::move(out)}};
}

// Stateless autoconfiguration, host side: the default router list (ndp -r,
// -R) and the router solicitor of rtsol/rtsold, whose log lines stream back
// to the session that started it.
json::value control_service::op_autoconf(session* s, std::int64_t id, const std::string& op,
                                         const json::object& a) {
  if (op == "default_routers" || op == "default_router_flush") {
    json::array out;
    for (const auto& r : node_.default_routers()) {
      const node::interface* ifp = node_.interface_by_index(r.ifindex);
      std::string flags;
      if (r.managed) flags += 'M';
      if (r.other) flags += 'O';
      out.push_back(json::object{{"addr", r.addr.to_string()},
                                 {"ifname", ifp ? ifp->name : "?"},
                                 {"scopeid", r.ifindex},
                                 {"flags", flags},
                                 {"expire", seconds_left(node_, r.expire)}});
    }
    if (op == "default_routers") return json::object{{"routers", std::move(out)}};
    node_.default_router_flush();
    return json::object{{"deleted", std::move(out)}};
  }
  if (op == "rtsol_stop") {
    auto run = arg_int(a, "run");
    if (!run || *run <= 0) throw op_error{"EINVAL", "run must be a positive integer"};
    node_.rtsol_stop(static_cast<std::uint64_t>(*run));
    if (s) s->rtsol_runs.erase(static_cast<std::uint64_t>(*run));
    return json::object{};
  }
  std::vector<unsigned> ifs;
  auto it = a.find("names");
  if (it == a.end() || !it->value().is_array() || it->value().as_array().empty())
    throw op_error{"bad_request", "names must be a non-empty array"};
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) throw op_error{"bad_request", "names must be strings"};
    const std::string name(v.as_string());
    const node::interface* ifp = node_.find_interface(name);
    if (ifp == nullptr) throw op_error{"ENXIO", "failed to get link layer information for " + name};
    ifs.push_back(ifp->index);
  }
  node::node::rtsol_options o;
  o.mobile = arg_bool(a, "mobile", false);
  o.once = arg_bool(a, "once", false);
  o.debug = static_cast<int>(arg_int(a, "debug").value_or(0));
  const std::uint64_t run = check(node_.rtsol_start(ifs, o));
  if (s) s->rtsol_runs[run] = id;
  return json::object{{"run", run}};
}

void control_service::on_rtsol_log(const node::rtsol_log_event& ev) {
  for (const auto& s : sessions_) {
    auto it = s->rtsol_runs.find(ev.run);
    if (it == s->rtsol_runs.end()) continue;
    s->send({{"id", it->second},
             {"event", "rtsol_log"},
             {"data", {{"priority", ev.priority}, {"func", ev.func}, {"message", ev.message}}}});
  }
}

void control_service::on_rtsol_done(std::uint64_t run) {
  for (const auto& s : sessions_) {
    auto it = s->rtsol_runs.find(run);
    if (it == s->rtsol_runs.end()) continue;
    s->send({{"id", it->second}, {"event", "rtsol_done"}, {"data", json::object{}}});
  }
}

// Bulk static routes through one gateway, from a list or a file of
// "prefix/len" lines ('#' comments): the FIB is updated in one batch.
json::value control_service::op_route_load(const json::object& a) {
  check_family(a);
  const bool v4 = is_inet(a);
  // Lines are parsed as they are read: holding a million route strings at once
  // would leave their freed memory in the heap behind the routes.
  std::vector<std::pair<ip6_addr, unsigned>> dests;
  std::size_t lineno = 0;
  auto parse_line = [&](std::string l) {
    ++lineno;
    if (auto h = l.find('#'); h != std::string::npos) l.resize(h);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) l.pop_back();
    if (l.empty()) return;
    const auto slash = l.find('/');
    const std::string addr = l.substr(0, slash);
    unsigned plen = v4 ? 32 : 128;
    if (slash != std::string::npos) plen = static_cast<unsigned>(std::atoi(l.c_str() + slash + 1));
    if (v4) {
      auto p = wire::parse_ip4(addr);
      if (!p || plen > 32)
        throw op_error{"EINVAL", "line " + std::to_string(lineno) + ": bad route " + l};
      dests.emplace_back(ip4::mapped(*p), 96 + plen);
    } else {
      auto p = ip6_addr::parse(addr);
      if (!p || plen > 128)
        throw op_error{"EINVAL", "line " + std::to_string(lineno) + ": bad route " + l};
      dests.emplace_back(*p, plen);
    }
  };
  if (const std::string file = arg_str(a, "file", false); !file.empty()) {
    std::ifstream in(file);
    if (!in) throw op_error{"ENOENT", "cannot open " + file};
    for (std::string l; std::getline(in, l);) parse_line(std::move(l));
  } else if (auto it = a.find("routes"); it != a.end() && it->value().is_array()) {
    dests.reserve(it->value().as_array().size());
    for (const auto& v : it->value().as_array())
      if (v.is_string()) parse_line(std::string(v.as_string()));
  } else {
    throw op_error{"bad_request", "route_load needs file or routes"};
  }
  node::route_spec via;
  via.v4 = v4;
  if (const std::string g = arg_str(a, "gateway", false); !g.empty()) {
    if (v4) {
      auto p = wire::parse_ip4(g);
      if (!p) throw op_error{"EINVAL", g + ": bad address"};
      via.gateway = ip4::mapped(*p);
    } else {
      auto sa = parse_scoped(node_, g);
      if (!sa) throw op_error{"EINVAL", sa.error()};
      via.gateway = sa->addr;
      via.ifindex = sa->ifindex;
    }
  }
  via.reject = arg_bool(a, "reject", false);
  via.blackhole = arg_bool(a, "blackhole", false);
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = check(node_.route_add_bulk(dests, via));
  std::vector<std::pair<ip6_addr, unsigned>>().swap(dests);
  // The parse and sort buffers of a large load were freed in the middle of the
  // heap, where glibc keeps them mapped: hand the free pages back.
  malloc_trim(0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return json::object{{"installed", n}, {"seconds", secs}};
}

json::value control_service::op_sysctl(const std::string& op, const json::object& a) {
  auto& reg = node_.sysctl();
  auto render = [](const sysctl_entry* e) {
    json::object o{{"name", e->name}, {"writable", e->writable}};
    if (std::holds_alternative<std::int64_t>(e->value)) {
      o["value"] = std::get<std::int64_t>(e->value);
      o["type"] = "int";
    } else {
      o["value"] = std::get<std::string>(e->value);
      o["type"] = "string";
    }
    return o;
  };
  if (op == "sysctl_get") {
    json::array out;
    auto it = a.find("names");
    if (it == a.end() || it->value().is_null()) {
      for (const auto* e : reg.all()) out.push_back(render(e));
    } else {
      if (!it->value().is_array()) throw op_error{"bad_request", "names must be an array"};
      for (const auto& n : it->value().as_array()) {
        if (!n.is_string()) throw op_error{"bad_request", "names must be strings"};
        auto r = reg.get(std::string(n.as_string()));
        if (!r) throw op_error{"ENOENT", r.error().message};
        for (const auto* e : *r) out.push_back(render(e));
      }
    }
    return json::object{{"values", std::move(out)}};
  }
  const std::string name = arg_str(a, "name");
  std::string value;
  auto it = a.find("value");
  if (it == a.end()) throw op_error{"bad_request", "missing argument 'value'"};
  if (it->value().is_string()) {
    value = std::string(it->value().as_string());
  } else if (it->value().is_int64() || it->value().is_uint64()) {
    value = std::to_string(it->value().to_number<std::int64_t>());
  } else {
    throw op_error{"bad_request", "value must be a number or a string"};
  }
  auto r = reg.set(name, value);
  if (!r) {
    const char* code = r.error().code == sysctl_errc::unknown     ? "ENOENT"
                       : r.error().code == sysctl_errc::read_only ? "EPERM"
                                                                  : "EINVAL";
    throw op_error{code, r.error().message};
  }
  json::value old = std::holds_alternative<std::int64_t>(*r)
                        ? json::value(std::get<std::int64_t>(*r))
                        : json::value(std::get<std::string>(*r));
  auto now = reg.get(name);
  return json::object{{"name", name}, {"old", old}, {"new", render((*now)[0])["value"]}};
}

json::object control_service::handle(session* s, unsigned uid, const json::object& req) {
  std::int64_t id = 0;
  if (auto it = req.find("id");
      it != req.end() && (it->value().is_int64() || it->value().is_uint64()))
    id = it->value().to_number<std::int64_t>();
  auto op_it = req.find("op");
  if (op_it == req.end() || !op_it->value().is_string())
    return error_reply(id, "bad_request", "request without an op");
  const std::string op(op_it->value().as_string());
  static const json::object empty;
  const json::object* args = &empty;
  if (auto it = req.find("args"); it != req.end()) {
    if (!it->value().is_object()) return error_reply(id, "bad_request", "args must be an object");
    args = &it->value().as_object();
  }
  const bool greeted = s == nullptr || s->greeted;
  if (op != "hello" && !greeted)
    return error_reply(id, "version", "the first request must be hello");

  static const std::set<std::string> read_only{
      "hello",  "interfaces", "neighbors",     "stats",         "ping6_listen",   "ping6_send",
      "routes", "route_get",  "route_monitor", "sysctl_get",    "probe_listen",   "probe_send",
      "arp",    "prefixes",   "ni_send",       "rtadvd_status", "default_routers"};
  if (!read_only.count(op) && uid != 0) return error_reply(id, "EPERM", "permission denied");

  try {
    const json::object& a = *args;
    if (op == "hello") {
      auto v = arg_int(a, "version");
      if (!v || *v != protocol_version)
        return error_reply(id, "version",
                           "protocol version mismatch: umigamed speaks version " +
                               std::to_string(protocol_version));
      if (s) s->greeted = true;
      return ok_reply(id, json::object{{"version", protocol_version},
                                       {"daemon", "umigamed"},
                                       {"daemon_version", "0.1.0"},
                                       {"hostname", node_.config().hostname}});
    }
    if (op == "interfaces") return ok_reply(id, op_interfaces(a));
    if (op == "interface_set") {
      check(node_.set_up(arg_str(a, "name"), arg_bool(a, "up", true)));
      return ok_reply(id, json::object{});
    }
    if ((op == "addr_add" || op == "addr_del") && arg_str(a, "family", false) == "inet") {
      const std::string name = arg_str(a, "name");
      const std::string text = arg_str(a, "addr");
      auto p = wire::parse_ip4(text);
      if (!p) throw op_error{"EINVAL", text + ": bad value"};
      if (op == "addr_del") {
        check(node_.delete_address4(name, *p));
      } else {
        auto plen = arg_int(a, "prefixlen");
        if (plen && (*plen < 0 || *plen > 32)) throw op_error{"EINVAL", "netmask: bad value"};
        unsigned l = plen ? static_cast<unsigned>(*plen)
                          : ((*p >> 31) == 0   ? 8
                             : (*p >> 30) == 2 ? 16
                                               : 24);  // classful
        check(node_.add_address4(name, *p, l, arg_bool(a, "alias", true)));
      }
      return ok_reply(id, json::object{});
    }
    if (op == "addr_add" || op == "addr_del") {
      const std::string name = arg_str(a, "name");
      node::interface* ifp = node_.find_interface(name);
      if (ifp == nullptr) throw op_error{"ENXIO", "interface " + name + " does not exist"};
      auto sa = parse_scoped(node_, arg_str(a, "addr"));
      if (!sa) throw op_error{"EINVAL", sa.error()};
      if (sa->ifindex != 0 && sa->ifindex != ifp->index)
        throw op_error{"EINVAL", "zone of " + arg_str(a, "addr") + " is not " + name};
      if (op == "addr_del") {
        check(node_.delete_address(name, sa->addr));
      } else {
        node::node::addr_params p;
        const auto plen = arg_int(a, "prefixlen");
        if (plen && (*plen < 0 || *plen > 128)) throw op_error{"EINVAL", "prefixlen: bad value"};
        p.plen = plen ? static_cast<unsigned>(*plen) : 64;
        p.alias = arg_bool(a, "alias", true);
        p.anycast = arg_bool(a, "anycast", false);
        check(node_.add_address(name, sa->addr, p));
      }
      return ok_reply(id, json::object{});
    }
    if (op == "neighbors") {
      json::array out;
      const std::string name = arg_str(a, "name", false);
      unsigned only_if = 0;
      if (!name.empty()) {
        node::interface* ifp = node_.find_interface(name);
        if (ifp == nullptr) throw op_error{"ENXIO", "interface " + name + " does not exist"};
        only_if = ifp->index;
      }
      const std::string addr = arg_str(a, "addr", false);
      std::optional<scoped_addr> want;
      if (!addr.empty()) {
        auto sa = parse_scoped(node_, addr);
        if (!sa) throw op_error{"EINVAL", sa.error()};
        want = *sa;
      }
      for (const auto& [k, e] : node_.neighbors().entries()) {
        if (only_if && e.ifindex != only_if) continue;
        if (want && (e.addr != want->addr || (want->ifindex && want->ifindex != e.ifindex)))
          continue;
        out.push_back(render_neighbor(node_, e));
      }
      if (want && out.empty()) throw op_error{"ESRCH", addr + " -- no entry"};
      return ok_reply(id, json::object{{"neighbors", std::move(out)}});
    }
    if (op == "neighbor_set" || op == "neighbor_del") {
      const std::string text = arg_str(a, "addr");
      auto sa = parse_scoped(node_, text);
      if (!sa) throw op_error{"EINVAL", sa.error()};
      unsigned ifx = sa->ifindex;
      if (const std::string name = arg_str(a, "name", false); !name.empty()) {
        node::interface* ifp = node_.find_interface(name);
        if (ifp == nullptr) throw op_error{"ENXIO", "interface " + name + " does not exist"};
        ifx = ifp->index;
      }
      if (op == "neighbor_del") {
        if (ifx == 0) {  // find the entry on any interface
          for (const auto& [k, e] : node_.neighbors().entries())
            if (e.addr == sa->addr) ifx = e.ifindex;
        }
        if (ifx == 0) throw op_error{"ESRCH", "cannot locate " + text};
        const std::string ifname = node_.interface_by_index(ifx)->name;
        check(node_.delete_neighbor(ifx, sa->addr));
        return ok_reply(id, json::object{{"addr", sa->addr.to_string()}, {"ifname", ifname}});
      }
      if (ifx == 0) ifx = node_.onlink_interface(sa->addr);
      if (ifx == 0) throw op_error{"EINVAL", "set: cannot configure a new entry"};
      auto mac = mac_addr::parse(arg_str(a, "lladdr"));
      if (!mac) throw op_error{"EINVAL", "invalid Ethernet address '" + arg_str(a, "lladdr") + "'"};
      check(node_.set_neighbor(ifx, sa->addr, *mac, arg_bool(a, "temp", false)));
      return ok_reply(id, json::object{});
    }
    if (op == "neighbor_flush") {
      json::array out;
      for (const auto& e : node_.flush_neighbors()) out.push_back(render_neighbor(node_, e));
      return ok_reply(id, json::object{{"deleted", std::move(out)}});
    }
    if (op == "stats") {
      json::object st;
      const auto& c = node_.counters();
      json::object ip6, icmp6, ip6h, inh, outh;
      for (std::size_t i = 0; i < stats::ip6_desc.size(); ++i)
        ip6[stats::ip6_desc[i].name] = c.ip6[i];
      for (std::size_t i = 0; i < stats::icmp6_desc.size(); ++i)
        icmp6[stats::icmp6_desc[i].name] = c.icmp6[i];
      // Refusals and queue overflows inside the neighbour cache itself.
      const auto& nc = node_.neighbors().counters();
      icmp6["nd_cache_full"] =
          c.icmp6[static_cast<std::size_t>(stats::icmp6::nd_cache_full)] + nc.cache_full;
      icmp6["nd_queue_drop"] =
          c.icmp6[static_cast<std::size_t>(stats::icmp6::nd_queue_drop)] + nc.queue_drops;
      icmp6["badrs"] = node_.rtadv().totals().rs_bad;
      icmp6["ra_inconsistent"] = node_.rtadv().totals().ra_inconsistent;
      for (unsigned t = 0; t < 256; ++t) {
        if (c.icmp6_in_hist[t]) inh[std::to_string(t)] = c.icmp6_in_hist[t];
        if (c.icmp6_out_hist[t]) outh[std::to_string(t)] = c.icmp6_out_hist[t];
      }
      // The node's own ip6 counts (delivered, localout...) add to the
      // workers' (total, drops by reason) in data_path_stats.
      json::object ip4s, icmp4s, in4, out4;
      for (std::size_t i = 0; i < stats::ip_desc.size(); ++i)
        ip4s[stats::ip_desc[i].name] = c.ip[i];
      for (std::size_t i = 0; i < stats::icmp_desc.size(); ++i)
        icmp4s[stats::icmp_desc[i].name] = c.icmp[i];
      icmp4s["arp_cache_full"] = c.icmp[static_cast<std::size_t>(stats::icmp::arp_cache_full)] +
                                 node_.arp().counters().cache_full;
      for (unsigned t = 0; t < 256; ++t) {
        if (c.icmp_in_hist[t]) in4[std::to_string(t)] = c.icmp_in_hist[t];
        if (c.icmp_out_hist[t]) out4[std::to_string(t)] = c.icmp_out_hist[t];
      }
      st["ip"] = std::move(ip4s);
      st["icmp"] = std::move(icmp4s);
      st["icmp_in_hist"] = std::move(in4);
      st["icmp_out_hist"] = std::move(out4);
      st["ip6"] = std::move(ip6);
      st["ip6_in_hist"] = std::move(ip6h);
      st["icmp6"] = std::move(icmp6);
      st["icmp6_in_hist"] = std::move(inh);
      st["icmp6_out_hist"] = std::move(outh);
      st["drops"] = json::array{};
      st["workers"] = 0;
      if (hooks_.data_path_stats) hooks_.data_path_stats(st);
      return ok_reply(id, std::move(st));
    }
    if (op == "prefixes" || op == "prefix_set" || op == "prefix_delete" || op == "prefix_renumber")
      return ok_reply(id, op_prefix(op, a));
    if (op == "default_routers" || op == "default_router_flush" || op == "rtsol_start" ||
        op == "rtsol_stop")
      return ok_reply(id, op_autoconf(s, id, op, a));
    if (op == "probe_listen") {
      auto ident = arg_int(a, "ident");
      if (!ident || *ident < 0 || *ident > 0xffff)
        throw op_error{"EINVAL", "ident must be 0..65535"};
      if (s) s->probe_listeners[static_cast<std::uint16_t>(*ident)] = id;
      return ok_reply(id, json::object{});
    }
    if (op == "probe_send") return ok_reply(id, op_probe_send(s, a));
    if (op == "ping6_listen") {
      auto ident = arg_int(a, "ident");
      if (!ident || *ident < 0 || *ident > 0xffff)
        throw op_error{"EINVAL", "ident must be 0..65535"};
      if (s) s->ping_listeners[static_cast<std::uint16_t>(*ident)] = id;
      return ok_reply(id, json::object{});
    }
    if (op == "ni_send") return ok_reply(id, op_ni_send(a));
    if (op == "ping6_send") {
      node::send_request r = ping_target(node_, a);
      const auto ident = arg_int(a, "ident").value_or(0);
      const auto seq = arg_int(a, "seq").value_or(0);
      auto data = from_hex(arg_str(a, "payload_hex", false));
      if (!data) throw op_error{"EINVAL", "payload_hex is not hex"};
      // The IPv6 payload length field bounds an echo request (no jumbograms).
      if (data->size() > 65535 - 8) throw op_error{"EMSGSIZE", "Message too long"};
      r.payload.resize(8 + data->size());
      r.payload[0] = 128;
      store_be16(&r.payload[4], static_cast<std::uint16_t>(ident));
      store_be16(&r.payload[6], static_cast<std::uint16_t>(seq));
      std::copy(data->begin(), data->end(), r.payload.begin() + 8);
      const ip6_addr r_dst = r.dst;
      auto res = check(node_.send(std::move(r)));
      const node::interface* ifp = node_.interface_by_index(res.ifindex);
      return ok_reply(id, json::object{{"src", res.src.to_string()},
                                       {"dst", r_dst.to_string()},
                                       {"ifname", ifp ? ifp->name : ""}});
    }
    if (op == "route_load") return ok_reply(id, op_route_load(a));
    if (op == "routes" || op.rfind("route_", 0) == 0) {
      if (op == "route_monitor" && s) s->route_monitor = id;
      if (op == "routes" || op == "route_add" || op == "route_change" || op == "route_delete" ||
          op == "route_get" || op == "route_flush" || op == "route_monitor")
        return ok_reply(id, op_route(op, a));
    }
    if (op == "sysctl_get" || op == "sysctl_set") return ok_reply(id, op_sysctl(op, a));
    if (op == "rtadvd_start" || op == "rtadvd_stop" || op == "rtadvd_status") {
      auto r = op_rtadvd(s, id, op, a);
      if (!r) throw op_error{r.error().first, r.error().second};
      return ok_reply(id, std::move(r.value()));
    }
    if (op == "arp") {
      json::array out;
      for (const auto& [k, e] : node_.arp().entries()) out.push_back(render_neighbor(node_, e));
      if (const std::string addr = arg_str(a, "addr", false); !addr.empty()) {
        json::array one;
        for (auto& e : out)
          if (e.as_object().at("addr").as_string() == addr) one.push_back(e);
        if (one.empty()) throw op_error{"ESRCH", addr + " -- no entry"};
        out = std::move(one);
      }
      return ok_reply(id, json::object{{"neighbors", std::move(out)}});
    }
    if (op == "arp_set" || op == "arp_delete") {
      const std::string text = arg_str(a, "addr");
      auto p = wire::parse_ip4(text);
      if (!p) throw op_error{"EINVAL", text + ": bad address"};
      if (op == "arp_delete") {
        check(node_.delete_arp(*p));
        return ok_reply(id, json::object{{"addr", text}});
      }
      auto mac = mac_addr::parse(arg_str(a, "lladdr"));
      if (!mac) throw op_error{"EINVAL", "invalid Ethernet address '" + arg_str(a, "lladdr") + "'"};
      check(node_.set_arp(*p, *mac, arg_bool(a, "temp", false)));
      return ok_reply(id, json::object{});
    }
    if (op == "arp_flush") {
      json::array out;
      for (const auto& e : node_.flush_arp()) out.push_back(render_neighbor(node_, e));
      return ok_reply(id, json::object{{"deleted", std::move(out)}});
    }
    return error_reply(id, "unknown_op", "unknown operation '" + op + "'");
  } catch (const op_error& e) {
    return error_reply(id, e.code, e.message);
  } catch (const std::exception& e) {
    return error_reply(id, "bad_request", e.what());
  }
}

session::session(control_service& svc, local_stream::socket sock)
    : svc_(svc), sock_(std::move(sock)) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(sock_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) uid_ = cred.uid;
}

void session::start() {
  read();
}

void session::read() {
  auto self = shared_from_this();
  asio::async_read_until(
      sock_, buf_, '\n', [this, self](boost::system::error_code ec, std::size_t n) {
        if (ec) {
          if (ec == asio::error::not_found) {  // line longer than the buffer
            send(error_reply(0, "bad_request", "request line too long"));
          }
          close();
          return;
        }
        std::string line(asio::buffers_begin(buf_.data()), asio::buffers_begin(buf_.data()) + n);
        buf_.consume(n);
        boost::system::error_code jec;
        json::value v = json::parse(line, jec);
        if (jec || !v.is_object()) {
          send(error_reply(0, "bad_request", "malformed JSON request"));
        } else {
          send(svc_.handle(this, uid_, v.as_object()));
        }
        if (!closed_) read();
      });
}

void session::send(const json::object& msg) {
  if (closed_) return;
  outq_.push_back(json::serialize(msg) + "\n");
  if (outq_.size() == 1) write_next();
}

void session::write_next() {
  auto self = shared_from_this();
  asio::async_write(sock_, asio::buffer(outq_.front()),
                    [this, self](boost::system::error_code ec, std::size_t) {
                      if (ec) {
                        close();
                        return;
                      }
                      outq_.pop_front();
                      if (!outq_.empty()) write_next();
                    });
}

void session::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  sock_.close(ec);
  svc_.forget(this);
}

}  // namespace umi::control
