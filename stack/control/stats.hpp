#pragma once
// The one table of counters the router keeps, with the KAME `netstat -s`
// wording for each. The daemon counts into these slots (per worker for the
// data path, in the node for the control thread); the stats request returns
// them by name; `netstat -s` prints them with the same table, so wording and
// counting can never drift apart.
#include <array>
#include <cstdint>
#include <string_view>

namespace umi::stats {

// X(id, netstat text). Text is a printf format taking one unsigned long long.
// clang-format off
#define UMI_IP6_STATS(X)                                                              \
  X(total, "%llu total packets received")                                             \
  X(toosmall, "%llu with size smaller than minimum")                                  \
  X(tooshort, "%llu with data size < data length")                                    \
  X(badoptions, "%llu with bad options")                                              \
  X(badvers, "%llu with incorrect version number")                                    \
  X(fragments, "%llu fragments received")                                             \
  X(fragdropped, "%llu fragments dropped (dup or out of space)")                      \
  X(fragtimeout, "%llu fragments dropped after timeout")                              \
  X(reassembled, "%llu packets reassembled ok")                                       \
  X(delivered, "%llu packets for this host")                                          \
  X(forward, "%llu packets forwarded")                                                \
  X(cantforward, "%llu packets not forwardable")                                      \
  X(localout, "%llu packets sent from this host")                                     \
  X(odropped, "%llu output packets dropped due to no bufs, etc.")                     \
  X(noroute, "%llu output packets discarded due to no route")                         \
  X(badscope, "%llu packets that violated scope rules")                               \
  X(notmember, "%llu multicast packets which we don't join")                          \
  X(toomanyhdr, "%llu packets discarded due to too may headers")                      \
  X(badsrc, "%llu packets with an invalid source address")                            \
  X(nxthdr_unknown, "%llu packets with an unknown next header")
// clang-format on

#define UMI_ICMP6_STATS(X)                                                           \
  X(error, "%llu calls to icmp6_error")                                              \
  X(canterror, "%llu errors not generated because old message was icmp error")       \
  X(toofreq, "%llu errors not generated because rate limitation")                    \
  X(badcode, "%llu messages with bad code fields")                                   \
  X(tooshort, "%llu messages < minimum length")                                      \
  X(checksum, "%llu bad checksums")                                                  \
  X(badlen, "%llu messages with bad length")                                         \
  X(reflect, "%llu message responses generated")                                     \
  X(nd_badhlim, "%llu neighbor discovery messages with hop limit != 255")            \
  X(nd_badopt, "%llu neighbor discovery messages with bad options")                  \
  X(nd_invalid, "%llu invalid neighbor discovery messages")                          \
  X(nd_cache_full, "%llu neighbor cache entries refused because the cache is full")  \
  X(nd_queue_drop, "%llu packets dropped awaiting address resolution")               \
  X(dad_duplicated, "%llu addresses found duplicated by DAD")                        \
  X(ni_refused, "%llu node information queries refused")                             \
  X(ni_discarded, "%llu node information queries not for this node")                 \
  X(ni_toofreq, "%llu node information replies not sent because of rate limitation") \
  X(badrs, "%llu bad router solicitation messages")                                  \
  X(ra_inconsistent, "%llu router advertisements inconsistent with ours")            \
  X(ra_accepted, "%llu router advertisements processed")                             \
  X(ra_ignored, "%llu router advertisements ignored (not accepting RAs)")            \
  X(ra_badhlim, "%llu router advertisements with hop limit != 255")                  \
  X(ra_badsrc, "%llu router advertisements from a non-link-local source")            \
  X(ra_invalid, "%llu router advertisements too short or with a bad code")           \
  X(ra_badopt, "%llu router advertisements with bad options")                        \
  X(ra_badprefix, "%llu prefix options ignored (bad length, scope or lifetimes)")    \
  X(ra_prefix_full, "%llu prefixes refused because the prefix list is full")         \
  X(ra_router_full, "%llu routers refused because the default router list is full")

// IPv4 (FreeBSD netstat inet.c wording).
// clang-format off
#define UMI_IP_STATS(X)                                                         \
  X(total, "%llu total packets received")                                       \
  X(badsum, "%llu bad header checksums")                                        \
  X(toosmall, "%llu with size smaller than minimum")                            \
  X(tooshort, "%llu with data size < data length")                              \
  X(badhlen, "%llu with header length < data size")                             \
  X(badlen, "%llu with data length < header length")                            \
  X(badvers, "%llu with incorrect version number")                              \
  X(badoptions, "%llu with bad options")                                        \
  X(fragments, "%llu fragments received")                                       \
  X(fragdropped, "%llu fragments dropped (dup or out of space)")                \
  X(fragtimeout, "%llu fragments dropped after timeout")                        \
  X(reassembled, "%llu packets reassembled ok")                                 \
  X(delivered, "%llu packets for this host")                                    \
  X(noproto, "%llu packets for unknown/unsupported protocol")                   \
  X(forward, "%llu packets forwarded")                                          \
  X(cantforward, "%llu packets not forwardable")                                \
  X(notmember, "%llu packets received for unknown multicast group")             \
  X(redirectsent, "%llu redirects sent")                                        \
  X(localout, "%llu packets sent from this host")                               \
  X(odropped, "%llu output packets dropped due to no bufs, etc.")               \
  X(noroute, "%llu output packets discarded due to no route")                   \
  X(fragmented, "%llu output datagrams fragmented")                             \
  X(ofragments, "%llu fragments created")                                       \
  X(cantfrag, "%llu datagrams that can't be fragmented")                        \
  X(badsrc, "%llu packets with an invalid source address")

#define UMI_ICMP_STATS(X)                                                       \
  X(error, "%llu calls to icmp_error")                                          \
  X(oldicmp, "%llu errors not generated 'cuz old message was icmp")             \
  X(toofreq, "%llu errors not generated because of rate limitation")            \
  X(badcode, "%llu messages with bad code fields")                              \
  X(tooshort, "%llu messages < minimum length")                                 \
  X(checksum, "%llu bad checksums")                                             \
  X(badlen, "%llu messages with bad length")                                    \
  X(reflect, "%llu message responses generated")                                \
  X(arp_badlen, "%llu ARP packets with bad length or format")                   \
  X(arp_conflict, "%llu ARP packets claiming one of our addresses")             \
  X(arp_cache_full, "%llu ARP entries refused because the cache is full")

// clang-format on
// ICMP (v4) type names of the FreeBSD histograms.
constexpr std::string_view icmp_type_name(unsigned type) {
  switch (type) {
    case 0:
      return "echo reply";
    case 3:
      return "destination unreachable";
    case 4:
      return "source quench";
    case 5:
      return "routing redirect";
    case 8:
      return "echo";
    case 11:
      return "time exceeded";
    case 12:
      return "parameter problem";
    case 13:
      return "time stamp";
    case 14:
      return "time stamp reply";
    default:
      return "";
  }
}

// ICMPv6 type names of the KAME input/output histograms (netstat/inet6.c).
constexpr std::string_view icmp6_type_name(unsigned type) {
  switch (type) {
    case 1:
      return "destination unreachable";
    case 2:
      return "packet too big";
    case 3:
      return "time exceed";
    case 4:
      return "parameter problem";
    case 128:
      return "echo";
    case 129:
      return "echo reply";
    case 130:
      return "multicast listener query";
    case 131:
      return "multicast listener report";
    case 132:
      return "multicast listener done";
    case 133:
      return "router solicitation";
    case 134:
      return "router advertisement";
    case 135:
      return "neighbor solicitation";
    case 136:
      return "neighbor advertisement";
    case 137:
      return "redirect";
    case 138:
      return "router renumbering";
    case 139:
      return "node information request";
    case 140:
      return "node information reply";
    default:
      return "";
  }
}

// Upper-layer protocol names of the ip6 input histogram.
constexpr std::string_view ip6_proto_name(unsigned proto) {
  switch (proto) {
    case 0:
      return "hop by hop";
    case 4:
      return "IP";
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 41:
      return "IP6";
    case 43:
      return "routing";
    case 44:
      return "fragment";
    case 50:
      return "ESP";
    case 51:
      return "AH";
    case 58:
      return "ICMP6";
    case 59:
      return "no next header";
    case 60:
      return "destination option";
    default:
      return "";
  }
}

enum class ip6 : std::uint8_t {
#define UMI_X(id, text) id,
  UMI_IP6_STATS(UMI_X)
#undef UMI_X
      count_
};
enum class icmp6 : std::uint8_t {
#define UMI_X(id, text) id,
  UMI_ICMP6_STATS(UMI_X)
#undef UMI_X
      count_
};

enum class ip : std::uint8_t {
#define UMI_X(id, text) id,
  UMI_IP_STATS(UMI_X)
#undef UMI_X
      count_
};
enum class icmp : std::uint8_t {
#define UMI_X(id, text) id,
  UMI_ICMP_STATS(UMI_X)
#undef UMI_X
      count_
};

struct stat_desc {
  std::string_view name;
  std::string_view text;
};

inline constexpr std::array ip6_desc{
#define UMI_X(id, text) stat_desc{#id, text},
    UMI_IP6_STATS(UMI_X)
#undef UMI_X
};
inline constexpr std::array icmp6_desc{
#define UMI_X(id, text) stat_desc{#id, text},
    UMI_ICMP6_STATS(UMI_X)
#undef UMI_X
};

inline constexpr std::array ip_desc{
#define UMI_X(id, text) stat_desc{#id, text},
    UMI_IP_STATS(UMI_X)
#undef UMI_X
};
inline constexpr std::array icmp_desc{
#define UMI_X(id, text) stat_desc{#id, text},
    UMI_ICMP_STATS(UMI_X)
#undef UMI_X
};

}  // namespace umi::stats
