#include "stack/control/daemon_config.hpp"

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <sstream>

#include "stack/wire/nodeinfo.hpp"

namespace umi::control {
namespace {

std::string where(const std::string& path, const toml::node& n) {
  return path + ":" + std::to_string(n.source().begin.line);
}

unexpected<std::string> err(std::string s) {
  return unexpected{std::move(s)};
}

}  // namespace

std::optional<std::vector<unsigned>> parse_lcore_list(const std::string& s) {
  std::vector<unsigned> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) return std::nullopt;
    auto dash = part.find('-');
    try {
      std::size_t used = 0;
      if (dash == std::string::npos) {
        unsigned v = static_cast<unsigned>(std::stoul(part, &used));
        if (used != part.size()) return std::nullopt;
        out.push_back(v);
      } else {
        unsigned a = static_cast<unsigned>(std::stoul(part.substr(0, dash), &used));
        if (used != dash) return std::nullopt;
        std::string rest = part.substr(dash + 1);
        unsigned b = static_cast<unsigned>(std::stoul(rest, &used));
        if (used != rest.size() || b < a) return std::nullopt;
        for (unsigned i = a; i <= b; ++i) out.push_back(i);
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

result<daemon_config, std::string> load_daemon_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return err(path + ": cannot open configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_daemon_config(ss.str(), path);
}

result<daemon_config, std::string> parse_daemon_config(const std::string& text,
                                                       const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return err(path + ":" + std::to_string(e.source().begin.line) + ": " +
               std::string(e.description()));
  }
  daemon_config c;
  c.path = path;
  for (auto&& [k, v] : root) {
    if (k != "daemon" && k != "port")
      return err(where(path, v) + ": unknown section [" + std::string(k.str()) + "]");
  }
  if (auto* d = root["daemon"].as_table()) {
    for (auto&& [k, v] : *d) {
      const std::string key(k.str());
      auto str = [&](std::string& out) -> result<void, std::string> {
        if (!v.is_string()) return err(where(path, v) + ": " + key + " must be a string");
        out = *v.value<std::string>();
        return ok;
      };
      result<void, std::string> r = ok;
      if (key == "socket") {
        r = str(c.socket);
      } else if (key == "file_prefix") {
        r = str(c.file_prefix);
        if (r && (c.file_prefix.empty() || c.file_prefix.find('/') != std::string::npos))
          return err(where(path, v) + ": file_prefix must be a non-empty name without '/'");
      } else if (key == "hostname") {
        r = str(c.hostname);
        // Node information replies carry it as a DNS name (RFC 4620 §3).
        if (r && !wire::encode_dns_name(c.hostname))
          return err(where(path, v) + ": hostname must be a DNS name (labels of 1..63 octets)");
      } else if (key == "startup") {
        r = str(c.startup);
      } else if (key == "log_level") {
        r = str(c.log_level);
        if (r && c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
            c.log_level != "error")
          return err(where(path, v) + ": log_level must be debug, info, warning or error");
      } else if (key == "hugepages") {
        std::string s;
        r = str(s);
        if (!r) return err(r.error());
        if (s == "auto")
          c.hugepages = hugepage_mode::automatic;
        else if (s == "on")
          c.hugepages = hugepage_mode::on;
        else if (s == "off")
          c.hugepages = hugepage_mode::off;
        else
          return err(where(path, v) + ": hugepages must be \"auto\", \"on\" or \"off\"");
      } else if (key == "idle") {
        std::string s;
        r = str(s);
        if (!r) return err(r.error());
        if (s == "adaptive")
          c.idle = idle_mode::adaptive;
        else if (s == "poll")
          c.idle = idle_mode::poll;
        else
          return err(where(path, v) + ": idle must be \"adaptive\" or \"poll\"");
      } else if (key == "memory_mb") {
        auto n = v.value<std::int64_t>();
        if (!v.is_integer() || *n < 64 || *n > 1048576)
          return err(where(path, v) + ": memory_mb must be an integer from 64 to 1048576");
        c.memory_mb = static_cast<unsigned>(*n);
      } else if (key == "workers") {
        if (v.is_integer()) {
          auto n = *v.value<std::int64_t>();
          if (n < 1 || n > 127) return err(where(path, v) + ": workers must be 1..127");
          c.worker_lcores.clear();
          for (unsigned i = 1; i <= n; ++i) c.worker_lcores.push_back(i);
        } else if (v.is_string()) {
          auto l = parse_lcore_list(*v.value<std::string>());
          if (!l || std::set<unsigned>(l->begin(), l->end()).count(0))
            return err(where(path, v) +
                       ": workers must be a count or an lcore list like \"1-3\" (lcore 0 is the "
                       "control thread)");
          c.worker_lcores = *l;
        } else {
          return err(where(path, v) + ": workers must be a count or an lcore list");
        }
      } else {
        return err(where(path, v) + ": unknown key '" + key + "' in [daemon]");
      }
      if (!r) return err(r.error());
    }
  } else if (root.contains("daemon")) {
    return err(where(path, *root.get("daemon")) + ": [daemon] must be a table");
  }

  if (auto* node = root.get("port")) {
    auto* arr = node->as_array();
    if (!arr) return err(where(path, *node) + ": use [[port]] for ports");
    std::set<std::string> names;
    for (auto& el : *arr) {
      auto* t = el.as_table();
      if (!t) return err(where(path, el) + ": [[port]] must be a table");
      port_config p;
      p.line = static_cast<int>(el.source().begin.line);
      for (auto&& [k, v] : *t) {
        const std::string key(k.str());
        if (key == "name" || key == "vdev" || key == "pci") {
          if (!v.is_string()) return err(where(path, v) + ": " + key + " must be a string");
          std::string s = *v.value<std::string>();
          (key == "name" ? p.name : key == "vdev" ? p.vdev : p.pci) = s;
        } else if (key == "queues") {
          auto n = v.value<std::int64_t>();
          if (!v.is_integer() || *n < 1 || *n > 64)
            return err(where(path, v) + ": queues must be 1..64");
          p.queues = static_cast<unsigned>(*n);
        } else {
          return err(where(path, v) + ": unknown key '" + key + "' in [[port]]");
        }
      }
      const std::string at = path + ":" + std::to_string(p.line);
      if (p.name.empty()) return err(at + ": [[port]] needs a name");
      if (p.name.size() > 15) return err(at + ": port name '" + p.name + "' is too long");
      if (p.vdev.empty() == p.pci.empty())
        return err(at + ": port " + p.name + " needs exactly one of vdev or pci");
      if (!names.insert(p.name).second) return err(at + ": duplicate port name " + p.name);
      c.ports.push_back(p);
    }
  }
  if (c.ports.empty()) return err(path + ": no [[port]] configured");
  return c;
}

}  // namespace umi::control
