#pragma once
// BSD getopt(3) over an argument vector, for the tools whose options are
// plain letters: letters may be grouped ("-dDf"), a letter followed by ':'
// in `spec` takes an argument (the rest of the word or the next word), "--"
// ends the options, and so does the first word that is not an option. An
// unknown letter is "illegal option -- x", a missing argument "option
// requires an argument -- x", both followed by the usage.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

// `on(letter, argument)` is called for every option in order and returns an
// optional error that stops the parse. Returns the index of the first operand.
template <class OnOption>
result<std::size_t, cmd_error> bsd_getopt(const std::vector<std::string>& args,
                                          std::string_view spec, OnOption&& on) {
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') break;
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char ch = a[k];
      const std::size_t at = ch == ':' ? std::string_view::npos : spec.find(ch);
      if (at == std::string_view::npos)
        return unexpected{cmd_error{std::string("illegal option -- ") + ch, true}};
      std::optional<std::string> arg;
      if (at + 1 < spec.size() && spec[at + 1] == ':') {
        if (k + 1 < a.size()) {
          arg = a.substr(k + 1);
        } else if (i + 1 < args.size()) {
          arg = args[++i];
        } else {
          return unexpected{cmd_error{std::string("option requires an argument -- ") + ch, true}};
        }
        k = a.size();
      }
      if (std::optional<cmd_error> e = on(ch, arg)) return unexpected{std::move(*e)};
    }
  }
  return i;
}

}  // namespace umi::tools
