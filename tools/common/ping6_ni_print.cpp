// ping6 node information reply printers (KAME ping6.c pr_pack's NI branch,
// pr_nodeaddr, pr_suptypes, pr_bitrange; kame-cli.md §7 and §17).
#include "stack/wire/nodeinfo.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/ping6_print.hpp"

namespace umi::tools {

namespace {

namespace ni = wire::ni;

// "NodeInfo Supported Qtypes" + " a-b" ranges of the bitmap.
std::string suptypes(unsigned flags, const std::vector<std::uint8_t>& data, bool verbose) {
  std::string s = "NodeInfo Supported Qtypes";
  const bool compressed = (flags & ni::flag_compressed) != 0;
  if (verbose) s += compressed ? ", compressed bitmap" : ", raw bitmap";
  auto q = wire::decode_qtypes(bytes(data), compressed);
  if (!q || (data.empty() && !compressed)) return s + "???";
  for (std::size_t i = 0; i < q->size();) {
    std::size_t j = i;
    while (j + 1 < q->size() && (*q)[j + 1] == (*q)[j] + 1) ++j;
    s += strprintf(" %u", (*q)[i]);
    if (j > i) s += strprintf("-%u", (*q)[j]);
    i = j + 1;
  }
  return s;
}

// "\n" then "  ADDR(TTL=...)\n" per address ("  no address\n" if none).
std::string nodeaddr(unsigned code, unsigned flags, bool v4, const std::vector<std::uint8_t>& data,
                     bool verbose) {
  std::string s;
  if (verbose) {
    if (code == ni::refused) s += "refused";
    if (code == ni::unknown_qtype) s += "unknown qtype";
    if (flags & ni::flag_truncated) s += " truncated";
  }
  s += '\n';
  if (data.empty()) return s + "  no address\n";
  // Replies without TTLs came from drafts before 05 (KAME guesses by length).
  const std::size_t alen = v4 ? 4 : 16;
  const bool with_ttl = data.size() % (4 + alen) == 0;
  for (std::size_t i = 0; i + alen + (with_ttl ? 4 : 0) <= data.size();) {
    std::uint32_t ttl = 0;
    if (with_ttl) {
      ttl = load_be32(&data[i]);
      i += 4;
    }
    ip6_addr a;
    if (v4) {
      s += "  " + std::to_string(data[i]) + "." + std::to_string(data[i + 1]) + "." +
           std::to_string(data[i + 2]) + "." + std::to_string(data[i + 3]);
    } else {
      std::copy_n(&data[i], 16, a.b.begin());
      s += "  " + a.to_string();
    }
    i += alen;
    if (with_ttl) s += ttl == ni::ttl_infinite ? "(TTL=infty)" : strprintf("(TTL=%u)", ttl);
    s += '\n';
  }
  return s;
}

// Node Name data: 32-bit TTL, then DNS-wire names (or a draft-03 length
// octet + raw name).
std::string node_name(unsigned code, unsigned flags, const std::vector<std::uint8_t>& data,
                      bool verbose) {
  std::string s;
  const bool have_ttl = data.size() >= 4;
  const std::size_t off = have_ttl ? 4 : data.size();
  const std::size_t rest = data.size() - off;
  const bool draft03 = rest > 0 && data[off] == rest - 1;
  if (draft03) {
    s.append(reinterpret_cast<const char*>(&data[off + 1]), rest - 1);
  } else if (rest > 0) {
    auto names = wire::decode_dns_names(bytes(data).subspan(off));
    if (!names) {
      s += "???";
    } else {
      for (std::size_t i = 0; i < names->size(); ++i) s += (i ? "," : "") + (*names)[i];
    }
  }
  if (!verbose) return s;
  std::string t;
  if (code == ni::refused) t += "refused";
  if (code == ni::unknown_qtype) t += "unknown qtype";
  if (have_ttl) {
    const auto ttl = static_cast<std::int32_t>(load_be32(data.data()));
    if (!t.empty()) t += ",";
    // Flag 0x0001 said "TTL valid" in the drafts; RFC 4620 has no such flag.
    if ((flags & 0x0001) == 0)
      t += strprintf("TTL=%d:meaningless", ttl);
    else
      t += ttl < 0 ? strprintf("TTL=%d:invalid", ttl) : strprintf("TTL=%d", ttl);
    if (draft03)
      t += ",03 draft";
    else if (rest == 0)
      t += ",no name";
  }
  return s + " (" + t + ")";
}

}  // namespace

std::string format_ni_reply(long bytes, std::string_view from, unsigned code, unsigned qtype,
                            unsigned flags, const std::vector<std::uint8_t>& data, bool verbose) {
  std::string s =
      strprintf("%ld bytes from %.*s: ", bytes, static_cast<int>(from.size()), from.data());
  switch (code) {
    case ni::success:
      break;
    case ni::refused:
      return s + strprintf("refused, type 0x%x\n", qtype);
    case ni::unknown_qtype:
      return s + strprintf("unknown, type 0x%x\n", qtype);
    default:
      return s + strprintf("unknown code 0x%x, type 0x%x\n", code, qtype);
  }
  switch (qtype) {
    case ni::qtype_noop:
      s += "NodeInfo NOOP";
      break;
    case ni::qtype_supported:
      s += suptypes(flags, data, verbose);
      break;
    case ni::qtype_node_addrs:
    case ni::qtype_ipv4_addrs:
      s += nodeaddr(code, flags, qtype == ni::qtype_ipv4_addrs, data, verbose);
      break;
    default:  // Node Name, and (KAME) anything else
      s += node_name(code, flags, data, verbose);
      break;
  }
  return s + "\n";
}

int ni_query_len(const ping6_cmd& cmd) {
  // 16-byte header; -w and -a carry the destination as an IPv6 subject,
  // -N the name; -W and -t have none.
  if (cmd.ni == ni_mode::node_name_draft03) return 16;
  if (cmd.nigroup) {
    auto n = wire::encode_dns_name(cmd.host);
    return 16 + (n ? static_cast<int>(n->size()) : 0);
  }
  return cmd.ni == ni_mode::qtypes ? 16 : 32;
}

}  // namespace umi::tools
