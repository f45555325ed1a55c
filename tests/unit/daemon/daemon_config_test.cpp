#include <catch2/catch.hpp>

#include "stack/control/daemon_config.hpp"

using umi::control::parse_daemon_config;

namespace {
constexpr const char* minimal = R"([daemon]
socket = "/tmp/x.sock"
[[port]]
name = "de0"
vdev = "net_af_packet0,iface=veth0"
)";
}

TEST_CASE("a minimal config takes documented defaults", "[config]") {
  auto c = parse_daemon_config(minimal, "umi.toml");
  REQUIRE(c);
  CHECK(c->socket == "/tmp/x.sock");
  CHECK(c->file_prefix == "umigame");
  CHECK(c->memory_mb == 512);
  CHECK(c->worker_lcores == std::vector<unsigned>{1});
  CHECK(c->hugepages == umi::control::hugepage_mode::automatic);
  CHECK(c->idle == umi::control::idle_mode::adaptive);
  REQUIRE(c->ports.size() == 1);
  CHECK(c->ports[0].name == "de0");
  CHECK(c->ports[0].queues == 1);
  CHECK(c->vdev_only());
}

TEST_CASE("syntax errors name the file and line", "[config]") {
  auto c = parse_daemon_config("[daemon]\nsocket = \n", "bad.toml");
  REQUIRE_FALSE(c);
  CHECK(c.error().rfind("bad.toml:2: ", 0) == 0);
}

TEST_CASE("bad values name the file, line and key", "[config]") {
  auto c = parse_daemon_config(std::string(minimal) + "[daemon2]\n", "x.toml");
  REQUIRE_FALSE(c);
  CHECK(c.error().find("unknown section [daemon2]") != std::string::npos);

  auto h = parse_daemon_config(
      "[daemon]\nhugepages = \"maybe\"\n[[port]]\nname=\"a\"\nvdev=\"n\"\n", "x.toml");
  REQUIRE_FALSE(h);
  CHECK(h.error() == "x.toml:2: hugepages must be \"auto\", \"on\" or \"off\"");
  auto n = parse_daemon_config("[daemon]\nhostname = \"a..b\"\n", "x.toml");
  REQUIRE_FALSE(n);
  CHECK(n.error() == "x.toml:2: hostname must be a DNS name (labels of 1..63 octets)");

  auto k = parse_daemon_config("[daemon]\nsockett = \"/x\"\n", "x.toml");
  REQUIRE_FALSE(k);
  CHECK(k.error() == "x.toml:2: unknown key 'sockett' in [daemon]");

  auto m = parse_daemon_config("[daemon]\nmemory_mb = 1\n", "x.toml");
  REQUIRE_FALSE(m);
  CHECK(m.error().find("x.toml:2: memory_mb") == 0);
}

TEST_CASE("ports need a name and exactly one device", "[config]") {
  auto none = parse_daemon_config("[daemon]\n", "x.toml");
  REQUIRE_FALSE(none);
  CHECK(none.error() == "x.toml: no [[port]] configured");

  auto both =
      parse_daemon_config("[[port]]\nname=\"de0\"\nvdev=\"a\"\npci=\"0000:00:01.0\"\n", "x.toml");
  REQUIRE_FALSE(both);
  CHECK(both.error() == "x.toml:1: port de0 needs exactly one of vdev or pci");

  auto dup = parse_daemon_config(
      "[[port]]\nname=\"de0\"\nvdev=\"a\"\n[[port]]\nname=\"de0\"\nvdev=\"b\"\n", "x.toml");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().find("duplicate port name de0") != std::string::npos);

  auto pci = parse_daemon_config("[[port]]\nname=\"de0\"\npci=\"0000:03:00.0\"\n", "x.toml");
  REQUIRE(pci);
  CHECK_FALSE(pci->vdev_only());
}

TEST_CASE("workers take a count or an lcore list without lcore 0", "[config]") {
  auto n = parse_daemon_config(std::string("[daemon]\nworkers = 3\n") + (minimal + 9), "x.toml");
  REQUIRE(n);
  CHECK(n->worker_lcores == std::vector<unsigned>{1, 2, 3});
  auto l =
      parse_daemon_config(std::string("[daemon]\nworkers = \"2-3,5\"\n") + (minimal + 9), "x.toml");
  REQUIRE(l);
  CHECK(l->worker_lcores == std::vector<unsigned>{2, 3, 5});
  auto z =
      parse_daemon_config(std::string("[daemon]\nworkers = \"0-1\"\n") + (minimal + 9), "x.toml");
  REQUIRE_FALSE(z);
  CHECK_FALSE(umi::control::parse_lcore_list("3-1"));
  CHECK_FALSE(umi::control::parse_lcore_list("1,,2"));
}
