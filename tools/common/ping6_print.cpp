#include "tools/common/ping6_print.hpp"

#include "tools/common/kame_format.hpp"

namespace umi::tools {

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 0xf];
  }
  return s;
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string format_ping6_header(int datalen, std::string_view src, std::string_view dst) {
  return strprintf("PING6(%d=40+8+%d bytes) %.*s --> %.*s\n", datalen + 48, datalen,
                   static_cast<int>(src.size()), src.data(), static_cast<int>(dst.size()),
                   dst.data());
}

std::string format_pattern(const std::vector<std::uint8_t>& pattern) {
  return "PATTERN: 0x" + to_hex(pattern) + "\n";
}

std::string format_echo_reply(long bytes, std::string_view from, unsigned seq, long hlim,
                              std::string_view dst, std::optional<double> rtt_ms, bool dup,
                              std::string_view wrong) {
  std::string s = strprintf("%ld bytes from %.*s, icmp_seq=%u", bytes,
                            static_cast<int>(from.size()), from.data(), seq);
  s += strprintf(" hlim=%ld", hlim);
  if (!dst.empty()) s += strprintf(" dst=%.*s", static_cast<int>(dst.size()), dst.data());
  if (rtt_ms) s += strprintf(" time=%g ms", *rtt_ms);
  if (dup) s += "(DUP!)";
  s += wrong;
  s += '\n';
  return s;
}

std::string format_icmp6_error(long bytes, std::string_view from, unsigned type, unsigned code,
                               std::uint32_t param) {
  std::string s =
      strprintf("%ld bytes from %.*s: ", bytes, static_cast<int>(from.size()), from.data());
  switch (type) {
    case 1:  // RFC 4443 §3.1 codes
      switch (code) {
        case 0:
          return s + "No Route to Destination\n";
        case 1:
          return s + "Destination Administratively Unreachable\n";
        case 2:
          return s + "Destination Unreachable Beyond Scope\n";
        case 3:
          return s + "Destination Host Unreachable\n";
        case 4:
          return s + "Destination Port Unreachable\n";
        default:
          return s + strprintf("Destination Unreachable, Bad Code: %u\n", code);
      }
    case 2:
      return s + strprintf("Packet too big mtu = %d\n", static_cast<int>(param));
    case 3:
      switch (code) {
        case 0:
          return s + "Time to live exceeded\n";
        case 1:
          return s + "Frag reassembly time exceeded\n";
        default:
          return s + strprintf("Time exceeded, Bad Code: %u\n", code);
      }
    case 4: {
      s += "Parameter problem: ";
      switch (code) {
        case 0:
          s += "Erroneous Header ";
          break;
        case 1:
          s += "Unknown Nextheader ";
          break;
        case 2:
          s += "Unrecognized Option ";
          break;
        default:
          s += strprintf("Bad code(%u) ", code);
          break;
      }
      return s + strprintf("pointer = 0x%02x\n", static_cast<int>(param));
    }
    default:
      return s + strprintf("Bad ICMP type: %u\n", type);
  }
}

std::string format_ping6_summary(const ping6_stats& st, std::string_view host) {
  std::string s =
      strprintf("\n--- %.*s ping6 statistics ---\n", static_cast<int>(host.size()), host.data());
  s += strprintf("%ld packets transmitted, ", st.transmitted);
  s += strprintf("%ld packets received, ", st.received);
  if (st.repeats != 0) s += strprintf("+%ld duplicates, ", st.repeats);
  if (st.transmitted != 0) {
    if (st.received > st.transmitted)
      s += "-- somebody's printing up packets!";
    else
      s += strprintf("%d%% packet loss",
                     static_cast<int>((st.transmitted - st.received) * 100 / st.transmitted));
  }
  s += '\n';
  if (st.received != 0 && st.timing) {
    double avg = st.tsum / static_cast<double>(st.received + st.repeats);
    s += strprintf("round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", st.tmin, avg, st.tmax);
  }
  return s;
}

ping6_run_state::ping6_run_state(const ping6_cmd& cmd)
    : cmd_(cmd), received_seq_(std::make_unique<std::bitset<65536>>()) {
  st_.timing = cmd.datalen >= ping6_timestamp_len && cmd.ni == ni_mode::none;
}

std::uint8_t ping6_run_state::fill_byte(std::size_t offset) const {
  if (offset < ping6_timestamp_len) return 0;
  if (!cmd_.pattern.empty())
    return cmd_.pattern[(offset - ping6_timestamp_len) % cmd_.pattern.size()];
  return static_cast<std::uint8_t>(offset & 0xff);
}

std::vector<std::uint8_t> ping6_run_state::payload(std::int64_t now_us) const {
  std::vector<std::uint8_t> p(static_cast<std::size_t>(cmd_.datalen));
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = fill_byte(i);
  if (st_.timing) {
    auto sec = static_cast<std::uint32_t>(now_us / 1000000);
    auto usec = static_cast<std::uint32_t>(now_us % 1000000);
    for (int k = 0; k < 4; ++k) {
      p[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(sec >> (24 - 8 * k));
      p[static_cast<std::size_t>(4 + k)] = static_cast<std::uint8_t>(usec >> (24 - 8 * k));
    }
  }
  return p;
}

std::uint16_t ping6_run_state::on_sent() {
  auto seq = static_cast<std::uint16_t>(st_.transmitted & 0xffff);
  received_seq_->reset(seq);
  ++st_.transmitted;
  return seq;
}

void ping6_run_state::record_reply(unsigned seq) {
  last_dup_ = received_seq_->test(seq);
  if (last_dup_) {
    ++st_.repeats;
    --st_.received;
  } else {
    received_seq_->set(seq);
  }
}

std::string ping6_run_state::on_echo_reply(const boost::json::object& d, std::int64_t now_us) {
  auto seq = static_cast<unsigned>(json_int(d, "seq") & 0xffff);
  auto data = from_hex(json_str(d, "payload_hex"));
  ++st_.received;
  last_rtt_.reset();
  if (st_.timing && data.size() >= ping6_timestamp_len) {
    std::int64_t sec = 0, usec = 0;
    for (int k = 0; k < 4; ++k) {
      sec = sec << 8 | data[static_cast<std::size_t>(k)];
      usec = usec << 8 | data[static_cast<std::size_t>(4 + k)];
    }
    // The daemon echoes our own monotonic timestamp; µs resolution as KAME's timeval.
    double rtt = static_cast<double>(now_us - (sec * 1000000 + usec)) / 1000.0;
    st_.tsum += rtt;
    if (rtt < st_.tmin) st_.tmin = rtt;
    if (rtt > st_.tmax) st_.tmax = rtt;
    last_rtt_ = rtt;
  }
  record_reply(seq);
  if (cmd_.quiet) return "";
  std::string wrong;
  for (std::size_t i = ping6_timestamp_len; i < data.size(); ++i) {
    if (data[i] != fill_byte(i)) {
      wrong =
          strprintf("\nwrong data byte #%zu should be 0x%x but was 0x%x", i, fill_byte(i), data[i]);
      break;
    }
  }
  long len = json_int(d, "len", static_cast<std::int64_t>(8 + data.size()));
  std::string dst = cmd_.verbose ? json_str(d, "to") : "";
  return format_echo_reply(40 + len, json_str(d, "from"), seq, json_int(d, "hlim"), dst, last_rtt_,
                           last_dup_, wrong);
}

std::string ping6_run_state::on_ni_reply(const boost::json::object& d) {
  auto seq = static_cast<unsigned>(json_int(d, "seq") & 0xffff);
  ++st_.received;
  last_rtt_.reset();
  record_reply(seq);
  if (cmd_.quiet) return "";
  return format_ni_reply(
      40 + json_int(d, "len"), json_str(d, "from"), static_cast<unsigned>(json_int(d, "code")),
      static_cast<unsigned>(json_int(d, "qtype")), static_cast<unsigned>(json_int(d, "flags")),
      from_hex(json_str(d, "data_hex")), cmd_.verbose);
}

std::string ping6_run_state::on_icmp6_error(const boost::json::object& d) const {
  if (!cmd_.verbose) return "";
  // The quoted packet is our echo request: IPv6 + ICMPv6 headers + data.
  long quoted = 40 + 8 + cmd_.datalen;
  long bytes = 40 + json_int(d, "len", 8 + quoted);
  return format_icmp6_error(bytes, json_str(d, "from"), static_cast<unsigned>(json_int(d, "type")),
                            static_cast<unsigned>(json_int(d, "code")),
                            static_cast<std::uint32_t>(json_int(d, "mtu")));
}

}  // namespace umi::tools
