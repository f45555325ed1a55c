#include "stack/wire/nodeinfo.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace umi::wire {

namespace {

constexpr std::size_t max_label = 63;
constexpr std::size_t max_name = 255;
constexpr std::size_t max_qtypes = 65536;  // qtypes are 16 bits

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// The labels of a dotted name; a trailing dot marks it fully qualified.
std::optional<std::vector<std::string_view>> split_labels(std::string_view name, bool& fqdn) {
  fqdn = !name.empty() && name.back() == '.';
  if (fqdn) name.remove_suffix(1);
  if (name.empty()) return std::nullopt;
  std::vector<std::string_view> labels;
  for (std::size_t start = 0;;) {
    const std::size_t dot = name.find('.', start);
    std::string_view l =
        name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (l.empty() || l.size() > max_label) return std::nullopt;
    labels.push_back(l);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // A name with a dot inside is taken as fully qualified (KAME ni6_nametodns).
  if (labels.size() > 1) fqdn = true;
  return labels;
}

std::optional<ip6_addr> group_address(std::string_view name, bool kame) {
  bool fqdn = false;
  auto labels = split_labels(name, fqdn);
  if (!labels) return std::nullopt;
  const std::string_view first = labels->front();
  std::string wire(1, static_cast<char>(first.size()));
  for (char c : first) wire += lower(c);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned len = 0;
  EVP_Digest(wire.data(), wire.size(), digest.data(), &len, EVP_md5(), nullptr);
  ip6_addr g{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
  if (kame) {
    for (int i = 0; i < 4; ++i) g.b[12 + i] = digest[i];
  } else {
    g.b[12] = 0xff;
    for (int i = 0; i < 3; ++i) g.b[13 + i] = digest[i];
  }
  return g;
}

}  // namespace

std::vector<std::uint8_t> ni_repr::emit() const {
  std::vector<std::uint8_t> out(ni_view::header_len + data.size(), 0);
  out[0] = type;
  out[1] = code;
  store_be16(&out[4], qtype);
  store_be16(&out[6], flags);
  std::copy(nonce.begin(), nonce.end(), out.begin() + 8);
  std::copy(data.begin(), data.end(), out.begin() + ni_view::header_len);
  return out;
}

std::optional<std::vector<std::uint8_t>> encode_dns_name(std::string_view name) {
  bool fqdn = false;
  auto labels = split_labels(name, fqdn);
  if (!labels) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (auto l : *labels) {
    out.push_back(static_cast<std::uint8_t>(l.size()));
    out.insert(out.end(), l.begin(), l.end());
  }
  out.push_back(0);
  if (!fqdn) out.push_back(0);  // RFC 4620 §3: truncated names end in two zero octets
  if (out.size() > max_name + (fqdn ? 0 : 1)) return std::nullopt;
  return out;
}

result<std::vector<std::string>, wire_error> decode_dns_names(bytes data) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while (i < data.size()) {
    if (data[i] == 0) {
      // Zero padding after the last name is allowed; anything else is not.
      if (std::all_of(data.begin() + static_cast<std::ptrdiff_t>(i), data.end(),
                      [](std::uint8_t b) { return b == 0; }) &&
          !names.empty())
        break;
      return unexpected{wire_error::bad_length};
    }
    std::string name;
    std::size_t wire_len = 0;
    for (;;) {
      if (i >= data.size()) return unexpected{wire_error::too_short};
      const std::uint8_t len = data[i++];
      if (len == 0) break;
      if (len > max_label) return unexpected{wire_error::bad_option};  // pointers included
      if (i + len > data.size()) return unexpected{wire_error::too_short};
      wire_len += 1u + len;
      if (wire_len > max_name) return unexpected{wire_error::bad_length};
      name.append(reinterpret_cast<const char*>(&data[i]), len);
      name += '.';
      i += len;
    }
    // A second zero octet marks a truncated (single-component) name.
    if (i < data.size() && data[i] == 0) {
      name.pop_back();
      ++i;
    }
    names.push_back(std::move(name));
  }
  return names;
}

bool dns_name_matches(bytes subject, std::string_view hostname) {
  auto subj = decode_dns_names(subject);
  if (!subj || subj->size() != 1) return false;
  auto ours = encode_dns_name(hostname);
  if (!ours) return false;
  auto mine = decode_dns_names(bytes(*ours));
  if (!mine || mine->size() != 1) return false;
  std::string a = subj->front(), b = mine->front();
  std::transform(a.begin(), a.end(), a.begin(), lower);
  std::transform(b.begin(), b.end(), b.begin(), lower);
  if (a == b) return true;
  const bool a_fqdn = !a.empty() && a.back() == '.';
  const bool b_fqdn = !b.empty() && b.back() == '.';
  // A truncated subject matches our leading labels; a truncated name of ours
  // matches a fully qualified subject that starts with it.
  if (!a_fqdn && b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '.')
    return true;
  if (!b_fqdn && a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '.')
    return true;
  return false;
}

result<std::vector<ni_addr_ttl>, wire_error> decode_addrs(bytes data, bool v4) {
  const std::size_t entry = v4 ? 8 : 20;
  if (data.size() % entry != 0) return unexpected{wire_error::bad_length};
  std::vector<ni_addr_ttl> out;
  for (std::size_t i = 0; i < data.size(); i += entry) {
    ni_addr_ttl e;
    e.ttl = load_be32(&data[i]);
    if (v4) {
      e.addr.b[10] = e.addr.b[11] = 0xff;
      std::copy_n(&data[i + 4], 4, e.addr.b.begin() + 12);
    } else {
      std::copy_n(&data[i + 4], 16, e.addr.b.begin());
    }
    out.push_back(e);
  }
  return out;
}

result<std::vector<std::uint16_t>, wire_error> decode_qtypes(bytes data, bool compressed) {
  std::vector<std::uint16_t> out;
  std::size_t base = 0;  // first qtype of the current block of 32
  std::size_t i = 0;
  while (i < data.size()) {
    if (data.size() - i < 4) return unexpected{wire_error::bad_length};
    std::size_t words = 1;
    if (compressed) {
      // Draft compressed form: 16-bit count of bitmap words, 16-bit count of
      // zero words skipped after them, then the words.
      words = load_be16(&data[i]);
      const std::size_t skip = load_be16(&data[i + 2]);
      i += 4;
      if (data.size() - i < words * 4) return unexpected{wire_error::bad_length};
      if (base + (words + skip) * 32 > max_qtypes) return unexpected{wire_error::bad_length};
      for (std::size_t w = 0; w < words; ++w, i += 4, base += 32) {
        const std::uint32_t v = load_be32(&data[i]);
        for (unsigned b = 0; b < 32; ++b)
          if (v & (1u << b)) out.push_back(static_cast<std::uint16_t>(base + b));
      }
      base += skip * 32;
      continue;
    }
    if (base + 32 > max_qtypes) return unexpected{wire_error::bad_length};
    const std::uint32_t v = load_be32(&data[i]);
    for (unsigned b = 0; b < 32; ++b)
      if (v & (1u << b)) out.push_back(static_cast<std::uint16_t>(base + b));
    base += 32;
    i += 4;
  }
  return out;
}

std::optional<ip6_addr> ni_group_address(std::string_view name) {
  return group_address(name, false);
}

std::optional<ip6_addr> ni_group_address_kame(std::string_view name) {
  return group_address(name, true);
}

}  // namespace umi::wire
