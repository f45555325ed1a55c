#include "tools/common/prefix_cmd.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"

namespace umi::tools {

namespace {

constexpr std::array keyword_table{
    prefix_keyword{"set", false},
    prefix_keyword{"delete", false},
    prefix_keyword{"prefixlen", true},
    prefix_keyword{"add", false},
    prefix_keyword{"change", false},
    prefix_keyword{"setglobal", false},
    prefix_keyword{"matchpr", true},
    prefix_keyword{"usepr", true},
    prefix_keyword{"mp_len", true},
    prefix_keyword{"mp_minlen", true},
    prefix_keyword{"mp_maxlen", true},
    prefix_keyword{"up_uselen", true},
    prefix_keyword{"up_keeplen", true},
    prefix_keyword{"vltime", true},
    prefix_keyword{"pltime", true},
    prefix_keyword{"raf_onlink", false},
    prefix_keyword{"-raf_onlink", false},
    prefix_keyword{"raf_auto", false},
    prefix_keyword{"-raf_auto", false},
    prefix_keyword{"rrf_decrvalid", false},
    prefix_keyword{"-rrf_decrvalid", false},
    prefix_keyword{"rrf_decrprefd", false},
    prefix_keyword{"-rrf_decrprefd", false},
};

cmd_error bad_value(const std::string& w) {
  return fatal(w + ": bad value");
}

// get_plen(): 0..128, else "%s: bad value".
result<unsigned, cmd_error> plen(const std::string& w) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (w.empty() || ec != std::errc{} || p != w.data() + w.size() || v > 128)
    return unexpected{bad_value(w)};
  return v;
}

result<std::string, cmd_error> address(const std::string& w) {
  if (!ip6_addr::parse(w)) return unexpected{bad_value(w)};
  return w;
}

// setlifetime(): "infinity", decimal seconds, or d%2dh%2dm%2ds%2d.
result<std::int64_t, cmd_error> lifetime(const std::string& w) {
  if (w == "infinity") return prefix_infinity;
  char* end = nullptr;
  unsigned long long v = std::strtoull(w.c_str(), &end, 10);
  if (!w.empty() && *end == '\0') {
    v &= 0xffffffffULL;
    return v == 0xffffffffULL ? prefix_infinity : static_cast<std::int64_t>(v);
  }
  int days = 0, hours = 0, minutes = 0, seconds = 0;
  if (std::sscanf(w.c_str(), "d%2dh%2dm%2ds%2d", &days, &hours, &minutes, &seconds) < 1)
    return unexpected{
        fatal("wrong time format: valid is d00h00m00s00, where 00 can be any octal number, 'd' is "
              "for days, 'h' is for hours, 'm' is for minutes, and 's' is for seconds")};
  return static_cast<std::int64_t>(seconds) + minutes * 60LL + hours * 3600LL + days * 86400LL;
}

}  // namespace

std::span<const prefix_keyword> prefix_keywords() {
  return keyword_table;
}

std::string prefix_usage() {
  return "usage: prefix interface prefix_value [parameters] [set|delete]\n"
         "       prefix interface\n"
         "                matchpr matchpr_value mp_len mp_len_value\n"
         "                usepr usepr_value up_uselen up_uselen_value\n"
         "                [parameters] [add|change|setglobal]\n"
         "       prefix -a [-d] [-u]\n"
         "                matchpr matchpr_value mp_len mp_len_value\n"
         "                usepr usepr_value up_uselen up_uselen_value\n"
         "                [parameters] [add|change|setglobal]\n";
}

result<prefix_cmd, cmd_error> parse_prefix_options(const std::vector<std::string>& args,
                                                   std::vector<std::string>& words) {
  prefix_cmd c;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (char ch : a.substr(1)) {
      if (ch == 'a')
        c.all = true;
      else if (ch == 'd')
        c.down_only = true;
      else if (ch == 'u')
        c.up_only = true;
      else
        return unexpected{usage_error()};
    }
  }
  if (c.up_only && c.down_only) return unexpected{usage_error()};
  if (!c.all) {
    if (i >= args.size()) return unexpected{usage_error()};
    c.ifname = args[i++];
  }
  words.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return c;
}

result<void, cmd_error> parse_prefix_words(prefix_cmd& c, const std::vector<std::string>& w) {
  bool setdel = false, match = false, use = false, uselen = false, keeplen = false;
  c.have_words = !w.empty();
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& word = w[i];
    const prefix_keyword* k = nullptr;
    for (const auto& kw : keyword_table)
      if (kw.word == word) k = &kw;
    std::string arg;
    if (k != nullptr && k->takes_arg) {
      if (i + 1 >= w.size()) return unexpected{fatal("'" + word + "' requires argument")};
      arg = w[++i];
    }
    if (k == nullptr) {  // the prefix of set/delete
      auto a = address(word);
      if (!a) return unexpected{a.error()};
      c.prefix = *a;
      setdel = true;
    } else if (word == "set") {
      c.op = prefix_op::set;
    } else if (word == "delete") {
      c.op = prefix_op::remove;
    } else if (word == "add") {
      c.op = prefix_op::add;
    } else if (word == "change") {
      c.op = prefix_op::change;
    } else if (word == "setglobal") {
      c.op = prefix_op::setglobal;
    } else if (word == "prefixlen") {
      auto n = plen(arg);
      if (!n) return unexpected{n.error()};
      c.prefixlen = *n;
    } else if (word == "matchpr") {
      auto a = address(arg);
      if (!a) return unexpected{a.error()};
      c.matchpr = *a;
      match = true;
      if (c.op == prefix_op::set) c.op = prefix_op::add;
    } else if (word == "usepr") {
      auto a = address(arg);
      if (!a) return unexpected{a.error()};
      c.usepr = *a;
      use = true;
      if (!uselen) c.up_uselen = 64;
    } else if (word == "mp_len" || word == "mp_minlen" || word == "mp_maxlen" ||
               word == "up_uselen" || word == "up_keeplen") {
      auto n = plen(arg);
      if (!n) return unexpected{n.error()};
      if (word == "mp_len") c.mp_len = *n;
      if (word == "mp_minlen") c.mp_minlen = *n;
      if (word == "mp_maxlen") c.mp_maxlen = *n;
      if (word == "up_uselen") {
        c.up_uselen = *n;
        uselen = true;
      }
      if (word == "up_keeplen") {
        c.up_keeplen = *n;
        keeplen = true;
      }
    } else if (word == "vltime" || word == "pltime") {
      auto t = lifetime(arg);
      if (!t) return unexpected{t.error()};
      (word == "vltime" ? c.vltime : c.pltime) = *t;
    } else {
      bool on = word[0] != '-';
      std::string_view name = on ? std::string_view(word) : std::string_view(word).substr(1);
      if (name == "raf_onlink") c.onlink = on;
      if (name == "raf_auto") c.autonomous = on;
      if (name == "rrf_decrvalid") c.decrvalid = on;
      if (name == "rrf_decrprefd") c.decrprefd = on;
    }
  }
  if (!c.have_words) return ok;
  if (c.op == prefix_op::set || c.op == prefix_op::remove) {
    if (!setdel) return unexpected{usage_error()};
  } else if (!match) {
    return unexpected{usage_error()};
  }
  if (!use)
    c.up_uselen = 0;  // make clear that there is no use prefix
  else if (!keeplen && c.up_uselen < 64)
    c.up_keeplen = 64 - c.up_uselen;  // uselen + keeplen = 64
  return ok;
}

result<prefix_cmd, cmd_error> parse_prefix(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  auto c = parse_prefix_options(args, words);
  if (!c) return c;
  auto r = parse_prefix_words(*c, words);
  if (!r) return unexpected{r.error()};
  return c;
}

std::string_view prefix_ioctl_label(prefix_op op) {
  switch (op) {
    case prefix_op::set:
      return "SIOCSIFPREFIX_IN6 failed";
    case prefix_op::remove:
      return "SIOCDIFPREFIX_IN6 failed";
    case prefix_op::add:
      return "SIOCAIFPREFIX_IN6 failed";
    case prefix_op::change:
      return "SIOCCIFPREFIX_IN6 failed";
    case prefix_op::setglobal:
      return "SIOCSGIFPREFIX_IN6 failed";
  }
  return "";
}

std::string prefix_failure(prefix_op op, const control_error& e) {
  std::string label(prefix_ioctl_label(op));
  if (e.code == "ENXIO") return label + ": no such interface";
  if (e.code == "EPERM") return label + ": permission denied";
  return label + ": " + bsd_strerror(e.code, e.message);
}

}  // namespace umi::tools
