#pragma once
// The sysctl knobs umigame honours, with KAME's names and defaults
// (kame-cli.md §10). Values are integers or strings; writable knobs may have
// a range. The node and the data path read the typed values; the registry is
// the one place their names, defaults and limits are written down.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "stack/base/result.hpp"

namespace umi::control {

struct sysctl_entry {
  std::string name;
  std::variant<std::int64_t, std::string> value;
  bool writable = true;
  std::int64_t min = 0;
  std::int64_t max = 0;  // min == max == 0: no range check
  std::string description;
};

enum class sysctl_errc : std::uint8_t { unknown, read_only, invalid };

struct sysctl_error {
  sysctl_errc code;
  std::string message;
};

class sysctl_registry {
 public:
  sysctl_registry();

  // Exact name, or every entry below a prefix ("net.inet6.icmp6").
  result<std::vector<const sysctl_entry*>, sysctl_error> get(const std::string& name) const;
  std::vector<const sysctl_entry*> all() const;
  // Writes `value` (decimal text or a string); returns the old value.
  result<std::variant<std::int64_t, std::string>, sysctl_error> set(const std::string& name,
                                                                    const std::string& value);
  std::int64_t integer(const std::string& name) const;
  std::string string(const std::string& name) const;

  // Called after every successful write with the name changed.
  std::function<void(const std::string&)> on_change;

  void add(sysctl_entry e) { entries_[e.name] = std::move(e); }
  void force(const std::string& name, std::variant<std::int64_t, std::string> v) {
    entries_[name].value = std::move(v);
  }

 private:
  std::map<std::string, sysctl_entry> entries_;
};

}  // namespace umi::control
