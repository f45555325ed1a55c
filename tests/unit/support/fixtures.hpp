#pragma once
// Small helpers shared by the unit tests: literal addresses that fail loudly
// (an exception is reported by Catch2 as a test failure, and works in
// namespace-scope initialisers where REQUIRE cannot be used).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"

namespace umi::test {

inline ip6_addr ip6_of(const char* s) {
  auto a = ip6_addr::parse(s);
  if (!a) throw std::invalid_argument(std::string("bad IPv6 literal in test: ") + s);
  return *a;
}

inline mac_addr mac_of(const char* s) {
  auto m = mac_addr::parse(s);
  if (!m) throw std::invalid_argument(std::string("bad MAC literal in test: ") + s);
  return *m;
}

inline std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::vector<std::uint8_t> addr_bytes(const ip6_addr& a) {
  return {a.b.begin(), a.b.end()};
}

}  // namespace umi::test

// Readable failure messages for address comparisons.
namespace Catch {
template <>
struct StringMaker<umi::ip6_addr> {
  static std::string convert(const umi::ip6_addr& a) { return a.to_string(); }
};
template <>
struct StringMaker<umi::mac_addr> {
  static std::string convert(const umi::mac_addr& m) { return m.to_padded_string(); }
};
}  // namespace Catch
