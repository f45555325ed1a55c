#include "stack/ip4/options.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "stack/wire/checksum.hpp"

using umi::bytes;
using umi::mut_bytes;
using umi::ip4::options_verdict;
using umi::ip4::process_options;

namespace {
// A 20-byte header (IHL set from the options) followed by `opts`, padded with EOL.
std::vector<std::uint8_t> header(std::vector<std::uint8_t> opts) {
  const std::size_t len = 20 + (opts.size() + 3) / 4 * 4;
  std::vector<std::uint8_t> h(len, 0);
  h[0] = static_cast<std::uint8_t>(0x40 | (len / 4));
  for (std::size_t i = 0; i < opts.size(); ++i) h[20 + i] = opts[i];
  return h;
}
options_verdict run(std::vector<std::uint8_t>& h, bool record = true,
                    std::function<bool(std::uint32_t)> ours = {}) {
  return process_options(mut_bytes(h), record, 0xc6336401, 0x01020304, ours);
}
}  // namespace

TEST_CASE("well-formed options pass untouched when nothing is recorded", "[ip4][options]") {
  auto h = header({1, 1, 1, 0});
  const auto before = h;
  CHECK(run(h).what == options_verdict::kind::ok);
  CHECK(h == before);
  auto rr = header({7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  const auto rr_before = rr;
  auto v = run(rr, false);
  CHECK(v.what == options_verdict::kind::ok);
  CHECK_FALSE(v.modified);
  CHECK(rr == rr_before);
}

TEST_CASE("malformed option lengths point at the length octet", "[ip4][options]") {
  for (std::vector<std::uint8_t> o : {std::vector<std::uint8_t>{7, 0, 4, 0},      // length 0
                                      std::vector<std::uint8_t>{7, 1, 4, 0},      // length 1
                                      std::vector<std::uint8_t>{7, 39, 4, 0},     // beyond header
                                      std::vector<std::uint8_t>{1, 1, 1, 7},      // no length octet
                                      std::vector<std::uint8_t>{68, 3, 5, 0}}) {  // TS < 4
    auto h = header(o);
    const auto v = run(h);
    INFO(int(o[0]) << " " << int(o[1]));
    CHECK(v.what == options_verdict::kind::param_problem);
    const std::size_t at = o[0] == 1 ? 24 : 21;
    CHECK(v.pointer == at);
  }
}

TEST_CASE("record route fills the next slot and then stops when full", "[ip4][options]") {
  auto h = header({7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  auto v = run(h);
  REQUIRE(v.what == options_verdict::kind::ok);
  CHECK(v.modified);
  CHECK(h[22] == 8);
  CHECK(umi::load_be32(&h[23]) == 0xc6336401);
  v = run(h);
  CHECK(h[22] == 12);
  CHECK(umi::load_be32(&h[27]) == 0xc6336401);
  v = run(h);  // full: unchanged
  CHECK(v.what == options_verdict::kind::ok);
  CHECK_FALSE(v.modified);
  CHECK(h[22] == 12);
  auto bad = header({7, 7, 3, 0, 0, 0, 0});
  v = run(bad);
  CHECK(v.what == options_verdict::kind::param_problem);
  CHECK(v.pointer == 22);
}

TEST_CASE("timestamps: only, with address, prespecified, overflow", "[ip4][options]") {
  auto only = header({68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE(run(only).modified);
  CHECK(only[22] == 9);
  CHECK(umi::load_be32(&only[24]) == 0x01020304);

  auto with_addr = header({68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE(run(with_addr).modified);
  CHECK(with_addr[22] == 13);
  CHECK(umi::load_be32(&with_addr[24]) == 0xc6336401);
  CHECK(umi::load_be32(&with_addr[28]) == 0x01020304);

  auto pre = header({68, 12, 5, 3, 198, 51, 100, 9, 0, 0, 0, 0});
  CHECK_FALSE(run(pre, true, [](std::uint32_t) { return false; }).modified);  // not us
  CHECK(pre[22] == 5);
  CHECK(run(pre, true, [](std::uint32_t a) { return a == 0xc6336409; }).modified);
  CHECK(pre[22] == 13);
  CHECK(umi::load_be32(&pre[28]) == 0x01020304);

  auto full = header({68, 8, 9, 0, 0, 0, 0, 0});
  CHECK(run(full).modified);
  CHECK((full[23] >> 4) == 1);  // overflow counted
  full[23] = 0xf0;
  const auto v = run(full);
  CHECK(v.what == options_verdict::kind::param_problem);
  CHECK(v.pointer == 22);

  auto bad_flag = header({68, 8, 5, 2, 0, 0, 0, 0});
  CHECK(run(bad_flag).what == options_verdict::kind::param_problem);
  CHECK(run(bad_flag).pointer == 23);
}

TEST_CASE("source routes are reported, unknown options passed on", "[ip4][options]") {
  auto lsrr = header({131, 7, 4, 198, 51, 100, 9});
  CHECK(run(lsrr).what == options_verdict::kind::source_route);
  auto ssrr_bad_ptr = header({137, 7, 3, 198, 51, 100, 9});
  CHECK(run(ssrr_bad_ptr).what == options_verdict::kind::param_problem);
  auto unknown = header({0x94, 4, 0, 0});  // router alert
  CHECK(run(unknown).what == options_verdict::kind::ok);
}

TEST_CASE("non-initial fragments keep only copied options", "[ip4][options]") {
  // RR (not copied) + router alert (copied, 0x94) + LSRR-like copied 0x83.
  auto h = header({7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0});
  std::vector<std::uint8_t> out(h.size(), 0xee);
  const std::size_t n = umi::ip4::copy_fragment_options(bytes(h), mut_bytes(out));
  REQUIRE(n == 24);
  CHECK(out[0] == 0x46);
  CHECK(out[20] == 0x94);
  CHECK(out[21] == 4);
  auto none = header({7, 7, 4, 0, 0, 0, 0});
  CHECK(umi::ip4::copy_fragment_options(bytes(none), mut_bytes(out)) == 20);
  CHECK(out[0] == 0x45);
}

TEST_CASE("the header checksum is recomputed over the options", "[ip4][options]") {
  auto h = header({7, 7, 4, 0, 0, 0, 0});
  umi::ip4::ipv4_set_checksum(mut_bytes(h));
  CHECK(umi::wire::fold(umi::wire::sum16(bytes(h))) == 0xffff);
}
