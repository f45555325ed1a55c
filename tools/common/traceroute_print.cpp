#include "tools/common/traceroute_print.hpp"

#include "tools/common/kame_format.hpp"

namespace umi::tools {

std::string format_traceroute_header(std::string_view family, std::string_view host,
                                     std::string_view addr, std::string_view source,
                                     unsigned max_hops, unsigned datalen) {
  std::string s = std::string(family == "inet" ? "traceroute" : "traceroute6") + " to " +
                  std::string(host) + " (" + std::string(addr) + ")";
  if (!source.empty()) s += " from " + std::string(source);
  s += strprintf(", %u hops max, %u byte packets\n", max_hops, datalen);
  return s;
}

std::string format_hop_start(unsigned hop) {
  return strprintf("%2u ", hop);
}

std::string format_probe_from(const probe_addr_view& v, std::string_view addr,
                              std::string_view name, long long len, std::string_view to) {
  std::string a(addr);
  std::string n = name.empty() ? a : std::string(name);
  std::string s;
  if (v.numeric)
    s = " " + a;
  else if (v.family == "inet" || v.long_names)
    s = " " + n + " (" + a + ")";  // LBL traceroute always shows both without -n
  else
    s = " " + n;
  if (v.verbose)
    s += strprintf(v.family == "inet" ? " %lld bytes to %s" : " %lld bytes of data to %s", len,
                   std::string(to).c_str());
  return s;
}

std::string format_probe_rtt(std::string_view family, double ms) {
  return family == "inet" ? strprintf("  %.3f ms", ms) : strprintf("  %g ms", ms);
}

probe_outcome classify_probe_reply(std::string_view family, int type, int code, int hlim) {
  probe_outcome o;
  bool low_hlim = hlim >= 0 && hlim <= 1;  // " !": the target's reply came with hlim <= 1
  if (family == "inet") {
    if (type == 11) {  // time exceeded in transit
      o.accepted = true;
    } else if (type == 0) {  // echo reply (-I)
      o.accepted = o.reached = true;
      if (low_hlim) o.marker = " !";
    } else if (type == 3) {
      o.accepted = true;
      switch (code) {
        case 3:  // port unreachable: the target
          o.reached = true;
          if (low_hlim) o.marker = " !";
          break;
        case 2:
          o.reached = true;
          o.marker = " !P";
          break;
        case 0:
          o.marker = " !N";
          break;
        case 1:
          o.marker = " !H";
          break;
        case 4:
          o.marker = " !F";
          break;
        case 5:
          o.marker = " !S";
          break;
        case 13:
          o.marker = " !X";
          break;
        case 14:
          o.marker = " !V";
          break;
        case 15:
          o.marker = " !C";
          break;
        default:
          o.marker = strprintf(" !<%d>", code);
          break;
      }
      o.unreachable = !o.reached;
    }
    return o;
  }
  if (type == 3) {  // ICMP6_TIME_EXCEEDED
    o.accepted = true;
  } else if (type == 129) {  // echo reply (-I)
    o.accepted = o.reached = true;
    if (low_hlim) o.marker = " !";
  } else if (type == 1) {  // ICMP6_DST_UNREACH
    o.accepted = true;
    switch (code) {
      case 0:
        o.marker = " !N";
        o.unreachable = true;
        break;  // no route
      case 1:
        o.marker = " !P";
        o.unreachable = true;
        break;  // administratively prohibited
      case 2:
        o.marker = " !S";
        o.unreachable = true;
        break;  // not a neighbour / beyond scope
      case 3:
        o.marker = " !A";
        o.unreachable = true;
        break;  // address unreachable
      case 4:   // port unreachable: the target
        o.reached = true;
        if (low_hlim) o.marker = " !";
        break;
      default:
        break;
    }
  }
  return o;
}

}  // namespace umi::tools
