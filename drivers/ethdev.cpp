#include "drivers/ethdev.hpp"

#include <net/if.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace umi::drivers {
namespace {

unexpected<std::string> err(std::string s) {
  return unexpected{std::move(s)};
}

// Value of key=... in a vdev argument string.
std::string vdev_arg(const std::string& vdev, const std::string& key) {
  std::stringstream ss(vdev);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.rfind(key + "=", 0) == 0) return part.substr(key.size() + 1);
  }
  return {};
}

unsigned free_hugepages() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("HugePages_Free:", 0) == 0)
      return static_cast<unsigned>(std::stoul(line.substr(15)));
  }
  return 0;
}

}  // namespace

std::string vdev_name(const std::string& vdev) {
  return vdev.substr(0, vdev.find(','));
}

result<eal_plan, std::string> plan_eal(const control::daemon_config& cfg) {
  eal_plan p;
  p.args.push_back("umigamed");
  // Map each lcore onto an available CPU (lcore i -> CPU i mod ncpus), so a
  // configuration with more workers than CPUs still starts; idle back-off
  // keeps oversubscribed workers from starving each other.
  const long ncpu = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::string lcores = "0@0";
  for (unsigned l : cfg.worker_lcores)
    lcores += "," + std::to_string(l) + "@" + std::to_string(l % static_cast<unsigned>(ncpu));
  p.args.push_back("--lcores=" + lcores);
  p.args.push_back("--main-lcore=0");
  p.args.push_back("--file-prefix=" + cfg.file_prefix);
  p.args.push_back("--no-telemetry");
  const unsigned free = free_hugepages();
  using control::hugepage_mode;
  if (cfg.hugepages == hugepage_mode::on && free == 0)
    return err(cfg.path +
               ": hugepages = \"on\" but no free hugepages (set /proc/sys/vm/nr_hugepages)");
  p.hugepages =
      cfg.hugepages == hugepage_mode::on || (cfg.hugepages == hugepage_mode::automatic && free > 0);
  if (p.hugepages) {
    p.args.push_back("--in-memory");
    p.args.push_back("--socket-mem=" + std::to_string(cfg.memory_mb));
    p.memory_note =
        "hugepages (" + std::to_string(free) + " free), " + std::to_string(cfg.memory_mb) + " MB";
  } else {
    // 22.11: --no-huge cannot be combined with --in-memory; --no-shconf keeps
    // the instance from writing a shared config that would need cleaning up.
    p.args.push_back("--no-huge");
    p.args.push_back("--no-shconf");
    p.args.push_back("-m");
    p.args.push_back(std::to_string(cfg.memory_mb));
    p.memory_note = "--no-huge (4 KiB pages), " + std::to_string(cfg.memory_mb) + " MB";
  }
  if (cfg.vdev_only()) p.args.push_back("--no-pci");  // never probe the machine's own NICs
  const unsigned workers = static_cast<unsigned>(cfg.worker_lcores.size());
  for (const auto& port : cfg.ports) {
    if (!port.pci.empty()) {
      p.args.push_back("-a");
      p.args.push_back(port.pci);
      continue;
    }
    std::string vdev = port.vdev;
    const std::string iface = vdev_arg(vdev, "iface");
    if (!iface.empty() && if_nametoindex(iface.c_str()) == 0)
      return err(cfg.path + ":" + std::to_string(port.line) + ": port " + port.name +
                 ": interface " + iface + " does not exist");
    // net_af_packet spreads received frames over `qpairs` sockets: ask for as
    // many pairs as we have RX queues and workers (each needs a TX queue).
    if (vdev.rfind("net_af_packet", 0) == 0 && vdev_arg(vdev, "qpairs").empty())
      vdev += ",qpairs=" + std::to_string(std::max(port.queues, workers));
    p.args.push_back("--vdev=" + vdev);
  }
  const std::string& lvl = cfg.log_level;
  p.args.push_back("--log-level=" + std::string(lvl == "debug" ? "*:info" : "*:warning"));
  return p;
}

result<std::vector<port_info>, std::string> setup_ports(const control::daemon_config& cfg,
                                                        unsigned tx_queues, rte_mempool* pool) {
  std::vector<port_info> out;
  for (const auto& pc : cfg.ports) {
    const std::string dev = pc.pci.empty() ? vdev_name(pc.vdev) : pc.pci;
    const std::string at = cfg.path + ":" + std::to_string(pc.line) + ": port " + pc.name;
    std::uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(dev.c_str(), &id) != 0)
      return err(at + ": device " + dev + " was not created by the EAL");
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(id, &info) != 0) return err(at + ": cannot query device " + dev);
    unsigned rxq = pc.queues;
    unsigned txq = std::max(tx_queues, rxq);
    if (pc.vdev.rfind("net_af_packet", 0) == 0) rxq = txq = std::max(rxq, txq);
    if (rxq > info.max_rx_queues || txq > info.max_tx_queues)
      return err(at + ": device supports " + std::to_string(info.max_rx_queues) + " RX / " +
                 std::to_string(info.max_tx_queues) + " TX queues, need " + std::to_string(rxq) +
                 "/" + std::to_string(txq));
    rte_eth_conf conf{};
    if (rxq > 1) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
      if (conf.rx_adv_conf.rss_conf.rss_hf == 0) conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    }
    int rc = rte_eth_dev_configure(id, static_cast<std::uint16_t>(rxq),
                                   static_cast<std::uint16_t>(txq), &conf);
    if (rc != 0) return err(at + ": rte_eth_dev_configure: " + rte_strerror(-rc));
    std::uint16_t nrx = 1024, ntx = 1024;
    rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
    const int socket = rte_eth_dev_socket_id(id);
    for (unsigned q = 0; q < rxq; ++q) {
      rc = rte_eth_rx_queue_setup(id, static_cast<std::uint16_t>(q), nrx,
                                  static_cast<unsigned>(socket < 0 ? 0 : socket), nullptr, pool);
      if (rc != 0) return err(at + ": RX queue setup: " + rte_strerror(-rc));
    }
    for (unsigned q = 0; q < txq; ++q) {
      rc = rte_eth_tx_queue_setup(id, static_cast<std::uint16_t>(q), ntx,
                                  static_cast<unsigned>(socket < 0 ? 0 : socket), nullptr);
      if (rc != 0) return err(at + ": TX queue setup: " + rte_strerror(-rc));
    }
    rc = rte_eth_dev_start(id);
    if (rc != 0) return err(at + ": rte_eth_dev_start: " + rte_strerror(-rc));
    rte_eth_promiscuous_enable(id);
    rte_eth_allmulticast_enable(id);
    port_info pi;
    pi.name = pc.name;
    pi.port_id = id;
    pi.queues = rxq;
    rte_ether_addr mac{};
    rte_eth_macaddr_get(id, &mac);
    std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), pi.mac.b.begin());
    std::uint16_t mtu = 1500;
    if (rte_eth_dev_get_mtu(id, &mtu) == 0 && mtu >= 1280) pi.mtu = mtu;
    // A vdev on a kernel interface (af_packet, af_xdp) can send no more than
    // that interface's MTU, whatever the PMD reports.
    if (const std::string iface = vdev_arg(pc.vdev, "iface"); !iface.empty()) {
      std::ifstream f("/sys/class/net/" + iface + "/mtu");
      unsigned kmtu = 0;
      if (f >> kmtu && kmtu >= 1280 && kmtu < pi.mtu) pi.mtu = kmtu;
      pi.kernel_iface = iface;
    }
    out.push_back(pi);
  }
  return out;
}

void stop_ports(const std::vector<port_info>& ports) {
  for (const auto& p : ports) {
    rte_eth_dev_stop(p.port_id);
    rte_eth_dev_close(p.port_id);
  }
}

link_state read_link(std::uint16_t port_id) {
  rte_eth_link l{};
  link_state s;
  if (rte_eth_link_get_nowait(port_id, &l) != 0) return s;
  s.up = l.link_status == RTE_ETH_LINK_UP;
  s.speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
  return s;
}

link_state read_link(const port_info& port) {
  link_state s = read_link(port.port_id);
  if (port.kernel_iface.empty() || !s.up) return s;
  // "1" with carrier, "0" without; unreadable while the interface is down.
  std::ifstream f("/sys/class/net/" + port.kernel_iface + "/carrier");
  int carrier = 0;
  if (!(f >> carrier) || carrier != 1) s.up = false;
  return s;
}

}  // namespace umi::drivers
