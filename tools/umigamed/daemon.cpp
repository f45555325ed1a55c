#include "tools/umigamed/daemon.hpp"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "drivers/ethdev.hpp"
#include "stack/control/daemon_config.hpp"
#include "stack/control/node.hpp"
#include "stack/control/service.hpp"
#include "stack/pipeline/table.hpp"
#include "stack/pipeline/worker.hpp"

extern char** environ;

namespace umi::daemon {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

void say(const std::string& s) {
  std::fprintf(stderr, "umigamed: %s\n", s.c_str());
}

// Exclusive per-instance lock on the DPDK file prefix, so two daemons never
// share runtime state even with --no-shconf/--in-memory.
class instance_lock {
 public:
  bool acquire(const std::string& prefix, std::string& why) {
    std::error_code ec;
    std::filesystem::create_directories("/run/umigame", ec);
    path_ = "/run/umigame/" + prefix + ".lock";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      why = "cannot open " + path_ + ": " + std::strerror(errno);
      return false;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      why = "another umigamed is running with file_prefix \"" + prefix + "\"";
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }
  ~instance_lock() {
    if (fd_ >= 0) {
      ::unlink(path_.c_str());
      ::close(fd_);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool socket_in_use(const std::string& path) {
  if (!std::filesystem::exists(path)) return false;
  asio::io_context io;
  asio::local::stream_protocol::socket probe(io);
  boost::system::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  return !ec;
}

// Publishes dataplane tables to the workers and frees old ones once every
// worker has passed a quiescent point (DPDK QSBR).
class table_publisher {
 public:
  explicit table_publisher(rte_rcu_qsbr* qs) : qs_(qs) {}
  table_publisher(const table_publisher&) = delete;
  table_publisher& operator=(const table_publisher&) = delete;
  ~table_publisher() {
    for (auto& r : retired_) delete r.second;
    delete current_.load();
  }
  void publish(std::unique_ptr<pipeline::dataplane_table> t) {
    t->generation = ++generation_;
    const auto* old = current_.exchange(t.release(), std::memory_order_acq_rel);
    if (old) retired_.emplace_back(rte_rcu_qsbr_start(qs_), old);
  }
  void reclaim() {
    while (!retired_.empty() && rte_rcu_qsbr_check(qs_, retired_.front().first, false) == 1) {
      delete retired_.front().second;
      retired_.pop_front();
    }
  }
  std::atomic<const pipeline::dataplane_table*>* slot() { return &current_; }

 private:
  rte_rcu_qsbr* qs_;
  std::atomic<const pipeline::dataplane_table*> current_{nullptr};
  std::deque<std::pair<std::uint64_t, const pipeline::dataplane_table*>> retired_;
  std::uint64_t generation_ = 0;
};

// Frees memory retired by the FIB and the route table once every worker has
// passed a quiescent point after the retirement.
class qsbr_reclaimer final : public fib::reclaimer {
 public:
  explicit qsbr_reclaimer(rte_rcu_qsbr* qs) : qs_(qs) {}
  ~qsbr_reclaimer() override { flush(); }
  // Runs every pending free now: only once no worker is running.
  void flush() {
    while (!pending_.empty()) {
      auto fn = std::move(pending_.front().second);
      pending_.pop_front();
      fn();
    }
  }
  void retire(std::function<void()> free_fn) override {
    pending_.emplace_back(rte_rcu_qsbr_start(qs_), std::move(free_fn));
  }
  void reclaim() {
    while (!pending_.empty() && rte_rcu_qsbr_check(qs_, pending_.front().first, false) == 1) {
      pending_.front().second();
      pending_.pop_front();
    }
  }

 private:
  rte_rcu_qsbr* qs_;
  std::deque<std::pair<std::uint64_t, std::function<void()>>> pending_;
};

void compile_nexthops(const control::route_table6& rt,
                      const std::vector<const node::interface*>& by_index,
                      const pipeline::dataplane_table& t, std::vector<pipeline::nexthop_rt>& out);

// Compiles the node's interfaces, next hops and resolved neighbours into the
// table the workers read.
std::unique_ptr<pipeline::dataplane_table> compile(const node::node& n, unsigned max_port) {
  auto t = std::make_unique<pipeline::dataplane_table>();
  t->ports.resize(max_port + 1);
  std::vector<const node::interface*> by_index(n.interfaces().size() + 1, nullptr);
  for (const auto& i : n.interfaces()) {
    by_index[i.index] = &i;
    auto& p = t->ports[i.port];
    p.present = true;
    p.up = i.up;
    p.ifindex = i.index;
    p.mtu = i.mtu;
    p.mac = i.mac;
    for (const auto& a : i.addrs) p.unicast.push_back(a.addr);
    for (const auto& g : i.groups()) p.groups.push_back(g);
    for (const auto& a : i.addrs4) {
      p.unicast4.push_back(a.addr);
      p.broadcast4.push_back(a.broadcast());
    }
  }
  for (const auto* cache : {&n.neighbors(), &n.arp()}) {
    for (const auto& [k, e] : cache->entries()) {
      if (e.lladdr && e.state != nd::nud_state::incomplete)
        t->neighbors.emplace(pipeline::neighbor_key{e.ifindex, e.addr}, *e.lladdr);
    }
  }
  compile_nexthops(n.routes(), by_index, *t, t->nexthops);
  compile_nexthops(n.routes4(), by_index, *t, t->nexthops4);
  t->fib6 = &n.routes().fib();
  t->fib4 = n.routes4().fib4();
  t->forwarding6 = n.config().forwarding;
  t->redirects6 = n.config().redirects;
  t->forwarding4 = n.config().forwarding4;
  t->redirects4 = n.config().redirects4;
  pipeline::build_fast_path(*t);
  return t;
}

void compile_nexthops(const control::route_table6& rt,
                      const std::vector<const node::interface*>& by_index,
                      const pipeline::dataplane_table& t, std::vector<pipeline::nexthop_rt>& out) {
  out.resize(rt.nexthops().size());
  for (std::size_t id = 0; id < rt.nexthops().size(); ++id) {
    const control::nexthop& h = rt.nexthops()[id];
    pipeline::nexthop_rt& o = out[id];
    if (h.refs == 0) continue;
    using K = pipeline::nexthop_rt::kind;
    switch (h.type) {
      case control::nh_type::local:
        o.type = K::local;
        continue;
      case control::nh_type::reject:
        o.type = K::reject;
        continue;
      case control::nh_type::blackhole:
        o.type = K::blackhole;
        continue;
      case control::nh_type::forward:
        o.type = K::forward;
        break;
    }
    const node::interface* ifp = h.ifindex < by_index.size() ? by_index[h.ifindex] : nullptr;
    if (ifp == nullptr) {
      o.type = K::none;
      continue;
    }
    o.port = static_cast<std::uint16_t>(ifp->port);
    o.ifindex = ifp->index;
    o.mtu = ifp->mtu;
    o.src_mac = ifp->mac;
    o.onlink = !h.gateway;
    if (h.gateway) {
      o.gateway = *h.gateway;
      auto it = t.neighbors.find(pipeline::neighbor_key{ifp->index, *h.gateway});
      if (it != t.neighbors.end()) {
        o.resolved = true;
        o.dst_mac = it->second;
      }
    }
  }
}

// Directories holding the KAME tools, for the startup script's PATH.
std::string tools_path() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string path;
  if (!ec) {
    auto d = exe.parent_path();
    for (auto cand : {d / ".." / "kame", d / ".." / "v6" / "sbin", d / ".." / "v6" / "bin"}) {
      if (std::filesystem::exists(cand, ec))
        path += std::filesystem::weakly_canonical(cand, ec).string() + ":";
    }
  }
  const char* p = std::getenv("PATH");
  return path + (p ? p : "/usr/sbin:/usr/bin:/sbin:/bin");
}

pid_t spawn_startup(const std::string& script, const std::string& socket) {
  std::vector<std::string> envs{"PATH=" + tools_path(), "UMIGAME_SOCKET=" + socket};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "PATH=", 5) == 0 || std::strncmp(*e, "UMIGAME_SOCKET=", 15) == 0) continue;
    envs.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& s : envs) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", e = "-e", f = script;
  char* argv[] = {sh.data(), e.data(), f.data(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()) != 0) return -1;
  return pid;
}

// Repeats `fn` every `period` on `io` until the io_context stops.
class periodic {
 public:
  periodic(asio::io_context& io, std::function<void()> fn) : timer_(io), fn_(std::move(fn)) {}
  void start(std::chrono::microseconds period) {
    period_ = period;
    arm();
  }

 private:
  void arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      fn_();
      arm();
    });
  }
  asio::steady_timer timer_;
  std::function<void()> fn_;
  std::chrono::microseconds period_{};
};

// Everything one running daemon owns, in the order it is built. Members are
// torn down in reverse by shutdown().
class runtime {
 public:
  explicit runtime(control::daemon_config cfg) : cfg_(std::move(cfg)) {}
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;
  ~runtime() { shutdown(); }

  int run();

 private:
  bool init_eal();
  bool init_dataplane();
  bool launch_workers();
  void transmit_local(unsigned port, std::vector<std::uint8_t> frame);
  void drain_punts();
  void poll_links();
  void feed_watchdog();
  void check_startup();
  void fill_stats(json::object& st);
  void shutdown();

  control::daemon_config cfg_;
  bool eal_up_ = false;
  unsigned nworkers_ = 0;
  unsigned max_port_ = 0;
  rte_mempool* pool_ = nullptr;
  rte_rcu_qsbr* qs_ = nullptr;
  std::vector<rte_ring*> punt_rings_, inject_rings_;
  std::vector<drivers::port_info> ports_;
  std::unique_ptr<table_publisher> publisher_;
  std::unique_ptr<qsbr_reclaimer> reclaimer_;
  int punt_meta_offset_ = -1;
  std::uint64_t compiled_nh_gen_ = 0;
  std::uint64_t compiled_nb_gen_ = 0;
  std::vector<std::unique_ptr<pipeline::worker>> workers_;
  std::atomic<bool> stop_{false};
  bool launched_ = false;

  steady_clock_source clock_;
  umi::rng random_{std::random_device{}()};
  std::unique_ptr<node::node> node_;
  bool dirty_ = true;
  std::uint64_t local_tx_fail_ = 0;

  asio::io_context io_;
  std::unique_ptr<control::control_service> svc_;
  std::vector<std::uint64_t> last_loops_;
  pid_t startup_pid_ = -1;
};

bool runtime::init_eal() {
  auto plan = drivers::plan_eal(cfg_);
  if (!plan) {
    say(plan.error());
    return false;
  }
  std::vector<char*> argv;
  for (auto& a : plan->args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    say(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno));
    return false;
  }
  eal_up_ = true;
  say("memory: " + plan->memory_note);
  return true;
}

bool runtime::init_dataplane() {
  nworkers_ = static_cast<unsigned>(cfg_.worker_lcores.size());
  const unsigned nports = static_cast<unsigned>(cfg_.ports.size());
  const unsigned nmbufs = std::min(262143u, nports * (2048u + 1024u * nworkers_) + 8191u);
  pool_ = rte_pktmbuf_pool_create("umi_mbufs", nmbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(rte_socket_id()));
  if (pool_ == nullptr) {
    say("cannot create the mbuf pool (" + std::to_string(nmbufs) +
        " mbufs): " + rte_strerror(rte_errno) + "; raise memory_mb");
    return false;
  }
  auto pr = drivers::setup_ports(cfg_, nworkers_, pool_);
  if (!pr) {
    say(pr.error());
    return false;
  }
  ports_ = std::move(pr.value());
  for (const auto& p : ports_) max_port_ = std::max<unsigned>(max_port_, p.port_id);
  if (max_port_ >= pipeline::max_ports) {
    say("at most " + std::to_string(pipeline::max_ports) + " ports are supported");
    return false;
  }
  const std::size_t qsz = rte_rcu_qsbr_get_memsize(nworkers_);
  qs_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("umi_qsbr", qsz, RTE_CACHE_LINE_SIZE));
  if (qs_ == nullptr || rte_rcu_qsbr_init(qs_, nworkers_) != 0) {
    say("cannot set up RCU");
    return false;
  }
  for (unsigned w = 0; w < nworkers_; ++w) {
    for (const char* kind : {"punt", "inject"}) {
      const std::string name = std::string("umi_") + kind + std::to_string(w);
      rte_ring* r = rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()),
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (r == nullptr) {
        say("cannot create ring " + name);
        return false;
      }
      (kind[0] == 'p' ? punt_rings_ : inject_rings_).push_back(r);
    }
  }
  publisher_ = std::make_unique<table_publisher>(qs_);
  reclaimer_ = std::make_unique<qsbr_reclaimer>(qs_);
  punt_meta_offset_ = pipeline::register_punt_meta();
  if (punt_meta_offset_ < 0) {
    say("cannot register the mbuf punt field");
    return false;
  }

  node::node_config ncfg;
  ncfg.hostname = cfg_.hostname;
  node::node_env env;
  env.clock = &clock_;
  env.random = &random_;
  env.tx = [this](unsigned port, std::vector<std::uint8_t> f) {
    transmit_local(port, std::move(f));
  };
  env.changed = [this] { dirty_ = true; };
  env.echo_reply = [this](const node::echo_event& ev) {
    if (svc_) svc_->on_echo(ev);
  };
  env.icmp_error = [this](const node::icmp_error_event& ev) {
    if (svc_) svc_->on_icmp_error(ev);
  };
  env.probe = [this](const node::probe_event& ev) {
    if (svc_) svc_->on_probe(ev);
  };
  env.ni_reply = [this](const node::ni_event& ev) {
    if (svc_) svc_->on_ni_reply(ev);
  };
  env.log = [](const std::string& s) { say(s); };
  env.rtsol_log = [this](const node::rtsol_log_event& ev) {
    if (svc_) svc_->on_rtsol_log(ev);
  };
  env.rtsol_done = [this](std::uint64_t run) {
    if (svc_) svc_->on_rtsol_done(run);
  };
  env.reclaimer = reclaimer_.get();
  env.route_event = [this](const char* type, const control::route6& r) {
    if (svc_) svc_->on_route_event(type, r);
  };
  node_ = std::make_unique<node::node>(ncfg, env);
  for (const auto& p : ports_) {
    const unsigned ifx = node_->add_interface(p.name, p.port_id, p.mac, p.mtu);
    const auto l = drivers::read_link(p);
    node_->set_link(ifx, l.up, l.speed_mbps);
  }
  publisher_->publish(compile(*node_, max_port_));
  dirty_ = false;
  return true;
}

// RX queue q of every port goes to worker q % nworkers; each worker transmits
// on its own TX queue of every port.
bool runtime::launch_workers() {
  unsigned available = 0;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    ++available;
  }
  if (available < nworkers_) {
    say("EAL gave " + std::to_string(available) + " worker lcores, " + std::to_string(nworkers_) +
        " configured");
    return false;
  }
  pipeline::worker_shared shared{publisher_->slot(), qs_, &stop_,
                                 cfg_.idle == control::idle_mode::poll
                                     ? pipeline::idle_policy::poll
                                     : pipeline::idle_policy::adaptive,
                                 punt_meta_offset_};
  for (unsigned w = 0; w < nworkers_; ++w) {
    std::vector<pipeline::rx_assignment> rx;
    std::vector<std::uint16_t> txq(max_port_ + 1, 0);
    for (const auto& p : ports_) {
      for (unsigned q = 0; q < p.queues; ++q)
        if (q % nworkers_ == w) rx.push_back({p.port_id, static_cast<std::uint16_t>(q)});
      txq[p.port_id] = static_cast<std::uint16_t>(w % std::max(p.queues, nworkers_));
    }
    workers_.push_back(std::make_unique<pipeline::worker>(w, shared, std::move(rx), std::move(txq),
                                                          punt_rings_[w], inject_rings_[w]));
  }
  unsigned w = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (w >= nworkers_) break;
    rte_eal_remote_launch(pipeline::worker_main, workers_[w++].get(), lcore);
  }
  launched_ = true;
  last_loops_.assign(nworkers_, 0);
  return true;
}

// Frames the node originates go out through worker 0, which has a TX queue
// on every port.
void runtime::transmit_local(unsigned port, std::vector<std::uint8_t> frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  char* d = m ? rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size())) : nullptr;
  if (d == nullptr) {
    if (m) rte_pktmbuf_free(m);
    ++local_tx_fail_;
    return;
  }
  std::memcpy(d, frame.data(), frame.size());
  m->port = static_cast<std::uint16_t>(port);
  if (rte_ring_sp_enqueue(inject_rings_[0], m) != 0) {
    rte_pktmbuf_free(m);
    ++local_tx_fail_;
  }
}

// The slow path: packets the workers punted, copied out and handed to the node.
void runtime::drain_punts() {
  std::array<rte_mbuf*, 64> burst{};
  for (auto* ring : punt_rings_) {
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(burst.data()),
                                          burst.size(), nullptr)) > 0) {
      for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = burst[i];
        std::vector<std::uint8_t> frame(rte_pktmbuf_pkt_len(m));
        const void* p = rte_pktmbuf_read(m, 0, frame.size(), frame.data());
        if (p != nullptr && p != frame.data()) std::memcpy(frame.data(), p, frame.size());
        const unsigned port = m->port;
        const auto meta =
            pipeline::decode_punt(*RTE_MBUF_DYNFIELD(m, punt_meta_offset_, std::uint32_t*));
        rte_pktmbuf_free(m);
        if (p == nullptr) continue;
        if (meta.reason == pipeline::punt_reason::local) {
          node_->input(port, bytes(frame));
        } else {
          node_->forward_punt(port, bytes(frame), meta.reason, meta.nexthop);
        }
      }
    }
  }
}

void runtime::poll_links() {
  for (const auto& p : ports_) {
    const auto l = drivers::read_link(p);
    if (auto* ifp = node_->interface_by_port(p.port_id);
        ifp && (ifp->link != l.up || ifp->speed_mbps != l.speed_mbps))
      node_->set_link(ifp->index, l.up, l.speed_mbps);
  }
}

// systemd watchdog: fed only while every worker is making progress.
void runtime::feed_watchdog() {
  bool progress = true;
  for (unsigned w = 0; w < nworkers_; ++w) {
    const auto l = workers_[w]->counters().loops.get();
    if (l == last_loops_[w]) progress = false;
    last_loops_[w] = l;
  }
  if (progress) {
    sd_notify(0, "WATCHDOG=1");
  } else {
    say("a worker has stopped making progress; not feeding the watchdog");
  }
}

void runtime::check_startup() {
  int status = 0;
  if (startup_pid_ <= 0 || waitpid(startup_pid_, &status, WNOHANG) != startup_pid_) return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    say("startup script " + cfg_.startup + " done");
  } else {
    say("startup script " + cfg_.startup + " failed (status " +
        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  }
  startup_pid_ = -1;
}

// Worker counters summed into the stats reply.
void runtime::fill_stats(json::object& st) {
  auto& ip6 = st["ip6"].as_object();
  json::object hist = st["ip6_in_hist"].as_object();
  std::array<std::uint64_t, static_cast<std::size_t>(pipeline::drop::count_)> drops{};
  for (const auto& w : workers_) {
    const auto& c = w->counters();
    for (std::size_t i = 0; i < stats::ip6_desc.size(); ++i) {
      auto& v = ip6[stats::ip6_desc[i].name];
      v = v.to_number<std::uint64_t>() + c.ip6[i].get();
    }
    for (std::size_t i = 0; i < drops.size(); ++i) drops[i] += c.drops[i].get();
    for (unsigned h = 0; h < 256; ++h) {
      if (const auto n = c.ip6_in_hist[h].get()) {
        auto& v = hist[std::to_string(h)];
        v = (v.is_null() ? 0 : v.to_number<std::uint64_t>()) + n;
      }
    }
  }
  st["ip6_in_hist"] = std::move(hist);
  auto& ip = st["ip"].as_object();
  for (const auto& w : workers_) {
    const auto& c = w->counters();
    for (std::size_t i = 0; i < stats::ip_desc.size(); ++i) {
      auto& v = ip[stats::ip_desc[i].name];
      v = v.to_number<std::uint64_t>() + c.ip[i].get();
    }
  }
  json::array dl;
  for (std::size_t i = 0; i < drops.size(); ++i) {
    const auto& d = pipeline::drop_table[i];
    dl.push_back(json::object{{"stage", d.stage},
                              {"reason", d.name},
                              {"description", d.description},
                              {"count", drops[i]}});
  }
  dl.push_back(
      json::object{{"stage", "control-tx"},
                   {"reason", "no_buffer"},
                   {"description", "no mbuf or inject ring full for a locally sent packet"},
                   {"count", local_tx_fail_}});
  st["drops"] = std::move(dl);
  st["workers"] = nworkers_;
  json::array pl;
  for (const auto& p : ports_) {
    std::uint64_t rx = 0, tx = 0;
    for (const auto& w : workers_) {
      rx += w->counters().rx_packets[p.port_id].get();
      tx += w->counters().tx_packets[p.port_id].get();
    }
    pl.push_back(json::object{{"name", p.name}, {"rx_packets", rx}, {"tx_packets", tx}});
  }
  st["ports"] = std::move(pl);
  // Per worker, so a reader can see every worker doing its share and that the
  // sums above are theirs.
  json::array per;
  for (const auto& w : workers_) {
    const auto& c = w->counters();
    std::uint64_t rx = 0, tx = 0;
    for (const auto& p : ports_) {
      rx += c.rx_packets[p.port_id].get();
      tx += c.tx_packets[p.port_id].get();
    }
    per.push_back(json::object{{"worker", w->id()},
                               {"rx_packets", rx},
                               {"tx_packets", tx},
                               {"forwarded", c.forwarded.get()},
                               {"punted", c.punted.get()},
                               {"loops", c.loops.get()}});
  }
  st["per_worker"] = std::move(per);
}

int runtime::run() {
  if (!init_eal() || !init_dataplane() || !launch_workers()) return 1;

  control::service_hooks hooks;
  hooks.data_path_stats = [this](json::object& st) { fill_stats(st); };
  hooks.nexthop_use = [this](std::uint32_t nh, bool v4) {
    std::uint64_t n = 0;
    for (const auto& w : workers_) {
      const auto& use = v4 ? w->counters().nexthop4_use : w->counters().nexthop_use;
      if (nh < use.size()) n += use[nh].get();
    }
    return n;
  };
  svc_ = std::make_unique<control::control_service>(io_, *node_, cfg_.socket, hooks);
  if (auto l = svc_->listen(); !l) {
    say(l.error());
    return 1;
  }

  auto last_tick = clock_.now();
  periodic fast(io_, [&] {
    drain_punts();
    if (clock_.now() - last_tick >= 10ms) {
      node_->tick();
      last_tick = clock_.now();
    }
    // Next hops and resolved neighbours also live in the published table.
    if (node_->routes().nexthop_generation() + node_->routes4().nexthop_generation() !=
            compiled_nh_gen_ ||
        node_->neighbor_generation() != compiled_nb_gen_)
      dirty_ = true;
    if (dirty_) {
      compiled_nh_gen_ =
          node_->routes().nexthop_generation() + node_->routes4().nexthop_generation();
      compiled_nb_gen_ = node_->neighbor_generation();
      publisher_->publish(compile(*node_, max_port_));
      dirty_ = false;
    }
    publisher_->reclaim();
    reclaimer_->reclaim();
  });
  fast.start(1ms);
  periodic links(io_, [this] { poll_links(); });
  links.start(1s);
  periodic watchdog(io_, [this] { feed_watchdog(); });
  if (std::uint64_t usec = 0; sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog.start(std::chrono::microseconds(usec / 2));
  periodic child(io_, [this] { check_startup(); });
  if (!cfg_.startup.empty()) {
    startup_pid_ = spawn_startup(cfg_.startup, cfg_.socket);
    if (startup_pid_ < 0)
      say("cannot run startup script " + cfg_.startup);
    else
      child.start(100ms);
  }

  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    say(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    sd_notify(0, "STOPPING=1");
    io_.stop();
  });

  std::string names;
  for (const auto& p : ports_) names += (names.empty() ? "" : " ") + p.name;
  say("ready: " + std::to_string(ports_.size()) + " port(s) [" + names + "], " +
      std::to_string(nworkers_) + " worker(s), socket " + cfg_.socket);
  sd_notify(0, "READY=1");
  io_.run();
  return 0;
}

void runtime::shutdown() {
  if (startup_pid_ > 0) {
    ::kill(startup_pid_, SIGTERM);
    waitpid(startup_pid_, nullptr, 0);
    startup_pid_ = -1;
  }
  if (svc_) svc_->close();
  svc_.reset();
  stop_.store(true);
  if (launched_) rte_eal_mp_wait_lcore();
  launched_ = false;
  drivers::stop_ports(ports_);
  ports_.clear();
  for (auto* rings : {&punt_rings_, &inject_rings_}) {
    for (auto* r : *rings) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(r);
    }
    rings->clear();
  }
  workers_.clear();
  publisher_.reset();
  if (reclaimer_) reclaimer_->flush();  // workers are stopped: nothing reads retired memory
  node_.reset();
  reclaimer_.reset();
  rte_free(qs_);
  qs_ = nullptr;
  rte_mempool_free(pool_);
  pool_ = nullptr;
  if (eal_up_) rte_eal_cleanup();
  eal_up_ = false;
}

}  // namespace

int run(const std::string& config_path) {
  auto cfg = control::load_daemon_config(config_path);
  if (!cfg) {
    say(cfg.error());
    return 1;
  }
  instance_lock lock;
  if (std::string why; !lock.acquire(cfg->file_prefix, why)) {
    say(why);
    return 1;
  }
  // Fail before touching the EAL when the socket is taken.
  if (socket_in_use(cfg->socket)) {
    say("another umigamed is already listening on " + cfg->socket);
    return 1;
  }
  runtime rt(std::move(cfg.value()));
  return rt.run();
}

}  // namespace umi::daemon
