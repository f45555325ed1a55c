#pragma once
#include <cstdint>

namespace umi::wire {

// Why a header failed its checked constructor.
enum class wire_error : std::uint8_t {
  too_short,    // buffer shorter than the fixed header
  bad_version,  // version field wrong
  bad_length,   // a length field points past the buffer
  bad_option,   // a TLV option is malformed (zero length, truncated)
};

}  // namespace umi::wire
