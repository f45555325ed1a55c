#include "tools/umigamed/daemon.hpp"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
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

void say(const std::string& s) { std::fprintf(stderr, "umigamed: %s\n", s.c_str()); }

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

// Publishes dataplane tables to the workers and frees old ones once every
// worker has passed a quiescent point (DPDK QSBR).
class table_publisher {
 public:
  explicit table_publisher(rte_rcu_qsbr* qs) : qs_(qs) {}
  ~table_publisher() {
    for (auto& r : retired_) delete r.second;
    delete current_.load();
  }
  void publish(std::unique_ptr<pipeline::dataplane_table> t) {
    t->generation = ++generation_;
    const pipeline::dataplane_table* old = current_.exchange(t.release(), std::memory_order_acq_rel);
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

std::unique_ptr<pipeline::dataplane_table> compile(const node::node& n, unsigned max_port) {
  auto t = std::make_unique<pipeline::dataplane_table>();
  t->ports.resize(max_port + 1);
  for (const auto& i : n.interfaces()) {
    auto& p = t->ports[i.port];
    p.present = true;
    p.up = i.up;
    p.mac = i.mac;
    for (const auto& a : i.addrs) p.unicast.push_back(a.addr);
    for (const auto& g : i.groups()) p.groups.push_back(g);
  }
  return t;
}

// Directories holding the KAME tools, for the startup script's PATH.
std::string tools_path() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string path;
  if (!ec) {
    auto d = exe.parent_path();
    for (auto cand : {d / ".." / "kame", d / ".." / "v6" / "sbin", d / ".." / "v6" / "bin"}) {
      if (std::filesystem::exists(cand, ec)) path += std::filesystem::weakly_canonical(cand, ec).string() + ":";
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

}  // namespace

int run(const std::string& config_path) {
  auto cfgr = control::load_daemon_config(config_path);
  if (!cfgr) {
    say(cfgr.error());
    return 1;
  }
  control::daemon_config cfg = std::move(cfgr.value());

  instance_lock lock;
  if (std::string why; !lock.acquire(cfg.file_prefix, why)) {
    say(why);
    return 1;
  }
  {  // Fail before touching the EAL when the socket is taken.
    asio::io_context probe_io;
    asio::local::stream_protocol::socket probe(probe_io);
    boost::system::error_code ec;
    if (std::filesystem::exists(cfg.socket)) {
      probe.connect(asio::local::stream_protocol::endpoint(cfg.socket), ec);
      if (!ec) {
        say("another umigamed is already listening on " + cfg.socket);
        return 1;
      }
    }
  }

  auto plan = drivers::plan_eal(cfg);
  if (!plan) {
    say(plan.error());
    return 1;
  }
  std::vector<char*> eal_argv;
  for (auto& a : plan->args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    say(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno));
    return 1;
  }
  say("memory: " + plan->memory_note);

  int rc = 1;
  const unsigned nworkers = static_cast<unsigned>(cfg.worker_lcores.size());
  std::vector<std::unique_ptr<pipeline::worker>> workers;
  std::vector<drivers::port_info> ports;
  std::atomic<bool> stop{false};
  rte_rcu_qsbr* qs = nullptr;
  std::vector<rte_ring*> punt_rings, inject_rings;
  rte_mempool* pool = nullptr;
  bool launched = false;

  do {
    const unsigned nports = static_cast<unsigned>(cfg.ports.size());
    const unsigned nmbufs = std::min(262143u, nports * (2048u + 1024u * nworkers) + 8191u);
    pool = rte_pktmbuf_pool_create("umi_mbufs", nmbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
    if (pool == nullptr) {
      say(std::string("cannot create the mbuf pool (") + std::to_string(nmbufs) +
          " mbufs): " + rte_strerror(rte_errno) + "; raise memory_mb");
      break;
    }
    auto pr = drivers::setup_ports(cfg, nworkers, pool);
    if (!pr) {
      say(pr.error());
      break;
    }
    ports = std::move(pr.value());
    unsigned max_port = 0;
    for (const auto& p : ports) max_port = std::max<unsigned>(max_port, p.port_id);
    if (max_port >= pipeline::max_ports) {
      say("too many ports");
      break;
    }

    const std::size_t qsz = rte_rcu_qsbr_get_memsize(nworkers);
    qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc("umi_qsbr", qsz, RTE_CACHE_LINE_SIZE));
    if (qs == nullptr || rte_rcu_qsbr_init(qs, nworkers) != 0) {
      say("cannot set up RCU");
      break;
    }
    bool ring_fail = false;
    for (unsigned w = 0; w < nworkers; ++w) {
      auto mk = [&](const char* kind) {
        const std::string name = std::string("umi_") + kind + std::to_string(w);
        return rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()),
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
      };
      punt_rings.push_back(mk("punt"));
      inject_rings.push_back(mk("inject"));
      if (!punt_rings.back() || !inject_rings.back()) ring_fail = true;
    }
    if (ring_fail) {
      say("cannot create rings");
      break;
    }

    // The node and the data path tables.
    steady_clock_source clk;
    umi::rng random(std::random_device{}());
    table_publisher publisher(qs);
    control::control_service* svc_ptr = nullptr;
    node::node_config ncfg;
    ncfg.hostname = cfg.hostname;
    node::node_env env;
    env.clock = &clk;
    env.random = &random;
    std::uint64_t tx_alloc_fail = 0;
    env.tx = [&](unsigned port, std::vector<std::uint8_t> frame) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      if (m == nullptr) {
        ++tx_alloc_fail;
        return;
      }
      char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
      if (d == nullptr) {
        rte_pktmbuf_free(m);
        ++tx_alloc_fail;
        return;
      }
      std::memcpy(d, frame.data(), frame.size());
      m->port = static_cast<std::uint16_t>(port);
      // Worker 0 has a TX queue on every port and transmits for us.
      if (rte_ring_sp_enqueue(inject_rings[0], m) != 0) {
        rte_pktmbuf_free(m);
        ++tx_alloc_fail;
      }
    };
    bool dirty = true;
    env.changed = [&] { dirty = true; };
    env.echo_reply = [&](const node::echo_event& ev) {
      if (svc_ptr) svc_ptr->on_echo(ev);
    };
    env.icmp_error = [&](const node::icmp_error_event& ev) {
      if (svc_ptr) svc_ptr->on_icmp_error(ev);
    };
    env.log = [&](const std::string& s) { say(s); };
    node::node nd(ncfg, env);
    for (const auto& p : ports) {
      const unsigned ifx = nd.add_interface(p.name, p.port_id, p.mac, p.mtu);
      const auto l = drivers::read_link(p.port_id);
      nd.set_link(ifx, l.up, l.speed_mbps);
    }
    publisher.publish(compile(nd, max_port));
    dirty = false;

    // Workers: RX queue q of every port goes to worker q % nworkers; each
    // worker transmits on its own TX queue of every port.
    pipeline::worker_shared shared{publisher.slot(), qs, &stop,
                                   cfg.idle == control::idle_mode::poll
                                       ? pipeline::idle_policy::poll
                                       : pipeline::idle_policy::adaptive};
    for (unsigned w = 0; w < nworkers; ++w) {
      std::vector<pipeline::rx_assignment> rx;
      std::vector<std::uint16_t> txq(max_port + 1, 0);
      for (const auto& p : ports) {
        for (unsigned q = 0; q < p.queues; ++q)
          if (q % nworkers == w) rx.push_back({p.port_id, static_cast<std::uint16_t>(q)});
        txq[p.port_id] = static_cast<std::uint16_t>(w % std::max(p.queues, nworkers));
      }
      workers.push_back(std::make_unique<pipeline::worker>(w, shared, std::move(rx), std::move(txq),
                                                           punt_rings[w], inject_rings[w]));
    }
    {
      unsigned w = 0;
      unsigned lcore;
      RTE_LCORE_FOREACH_WORKER(lcore) {
        if (w >= nworkers) break;
        rte_eal_remote_launch(pipeline::worker_main, workers[w].get(), lcore);
        ++w;
      }
      launched = true;
    }
    // Workers read `publisher`'s table: stop them before it goes out of scope,
    // whichever way this block is left.
    struct worker_stopper {
      std::atomic<bool>& stop;
      bool& launched;
      ~worker_stopper() {
        stop.store(true);
        if (launched) rte_eal_mp_wait_lcore();
        launched = false;
      }
    } stopper{stop, launched};
    {
      unsigned w = 0;
      unsigned lcore;
      RTE_LCORE_FOREACH_WORKER(lcore) { ++w; }
      if (w < nworkers) {
        say("EAL gave " + std::to_string(w) + " worker lcores, " + std::to_string(nworkers) +
            " configured");
        break;
      }
    }

    asio::io_context io;
    control::service_hooks hooks;
    hooks.data_path_stats = [&](json::object& st) {
      auto& ip6 = st["ip6"].as_object();
      json::object hist = st["ip6_in_hist"].as_object();
      std::array<std::uint64_t, static_cast<std::size_t>(pipeline::drop::count_)> drops{};
      for (const auto& w : workers) {
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
      json::array dl;
      for (std::size_t i = 0; i < drops.size(); ++i) {
        const auto& d = pipeline::drop_table[i];
        dl.push_back(json::object{{"stage", d.stage},
                                  {"reason", d.name},
                                  {"description", d.description},
                                  {"count", drops[i]}});
      }
      dl.push_back(json::object{{"stage", "control-tx"},
                                {"reason", "no_buffer"},
                                {"description", "no mbuf or inject ring full for a locally sent packet"},
                                {"count", tx_alloc_fail}});
      st["drops"] = std::move(dl);
      st["workers"] = nworkers;
      json::array pl;
      for (const auto& p : ports) {
        std::uint64_t rx = 0, tx = 0;
        for (const auto& w : workers) {
          rx += w->counters().rx_packets[p.port_id].get();
          tx += w->counters().tx_packets[p.port_id].get();
        }
        pl.push_back(json::object{{"name", p.name}, {"rx_packets", rx}, {"tx_packets", tx}});
      }
      st["ports"] = std::move(pl);
    };
    control::control_service svc(io, nd, cfg.socket, hooks);
    svc_ptr = &svc;
    if (auto l = svc.listen(); !l) {
      say(l.error());
      break;
    }

    // The slow path: drain punt rings, run node timers, republish tables.
    asio::steady_timer fast(io);
    std::function<void()> fast_tick;
    std::array<rte_mbuf*, 64> burst{};
    auto last_tick = clk.now();
    fast_tick = [&] {
      for (auto* ring : punt_rings) {
        unsigned n;
        while ((n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(burst.data()),
                                              burst.size(), nullptr)) > 0) {
          for (unsigned i = 0; i < n; ++i) {
            rte_mbuf* m = burst[i];
            std::vector<std::uint8_t> frame(rte_pktmbuf_pkt_len(m));
            const void* p = rte_pktmbuf_read(m, 0, frame.size(), frame.data());
            if (p != nullptr && p != frame.data()) std::memcpy(frame.data(), p, frame.size());
            const unsigned port = m->port;
            rte_pktmbuf_free(m);
            if (p != nullptr) nd.input(port, bytes(frame));
          }
        }
      }
      if (clk.now() - last_tick >= 10ms) {
        nd.tick();
        last_tick = clk.now();
      }
      if (dirty) {
        publisher.publish(compile(nd, max_port));
        dirty = false;
      }
      publisher.reclaim();
      fast.expires_after(1ms);
      fast.async_wait([&](boost::system::error_code ec) {
        if (!ec) fast_tick();
      });
    };
    fast_tick();

    // Link state, once a second.
    asio::steady_timer slow(io);
    std::function<void()> slow_tick = [&] {
      for (const auto& p : ports) {
        const auto l = drivers::read_link(p.port_id);
        if (auto* ifp = nd.interface_by_port(p.port_id);
            ifp && (ifp->link != l.up || ifp->speed_mbps != l.speed_mbps))
          nd.set_link(ifp->index, l.up, l.speed_mbps);
      }
      slow.expires_after(1s);
      slow.async_wait([&](boost::system::error_code ec) {
        if (!ec) slow_tick();
      });
    };
    slow_tick();

    // systemd watchdog: fed only while every worker is making progress.
    std::uint64_t wd_usec = 0;
    asio::steady_timer wd(io);
    std::vector<std::uint64_t> last_loops(nworkers, 0);
    std::function<void()> wd_tick = [&] {
      bool progress = true;
      for (unsigned w = 0; w < nworkers; ++w) {
        const auto l = workers[w]->counters().loops.get();
        if (l == last_loops[w]) progress = false;
        last_loops[w] = l;
      }
      if (progress) sd_notify(0, "WATCHDOG=1");
      else say("a worker has stopped making progress; not feeding the watchdog");
      wd.expires_after(std::chrono::microseconds(wd_usec / 2));
      wd.async_wait([&](boost::system::error_code ec) {
        if (!ec) wd_tick();
      });
    };
    if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
      wd.expires_after(std::chrono::microseconds(wd_usec / 2));
      wd.async_wait([&](boost::system::error_code ec) {
        if (!ec) wd_tick();
      });
    }

    // Startup script (rc.net6 style), run once the socket is up.
    pid_t startup_pid = -1;
    asio::steady_timer child(io);
    std::function<void()> child_tick = [&] {
      int status = 0;
      if (startup_pid > 0 && waitpid(startup_pid, &status, WNOHANG) == startup_pid) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
          say("startup script " + cfg.startup + " done");
        } else {
          say("startup script " + cfg.startup + " failed (status " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
        }
        startup_pid = -1;
        return;
      }
      child.expires_after(100ms);
      child.async_wait([&](boost::system::error_code ec) {
        if (!ec) child_tick();
      });
    };
    if (!cfg.startup.empty()) {
      startup_pid = spawn_startup(cfg.startup, cfg.socket);
      if (startup_pid < 0) say("cannot run startup script " + cfg.startup);
      else child_tick();
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (ec) return;
      say(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
      sd_notify(0, "STOPPING=1");
      io.stop();
    });

    std::string names;
    for (const auto& p : ports) names += (names.empty() ? "" : " ") + p.name;
    say("ready: " + std::to_string(ports.size()) + " port(s) [" + names + "], " +
        std::to_string(nworkers) + " worker(s), socket " + cfg.socket);
    sd_notify(0, "READY=1");
    io.run();
    if (startup_pid > 0) {
      ::kill(startup_pid, SIGTERM);
      waitpid(startup_pid, nullptr, 0);
    }
    svc_ptr = nullptr;
    svc.close();
    rc = 0;
  } while (false);

  stop.store(true);
  if (launched) rte_eal_mp_wait_lcore();
  drivers::stop_ports(ports);
  for (auto* r : punt_rings) {
    if (r == nullptr) continue;
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  for (auto* r : inject_rings) {
    if (r == nullptr) continue;
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  workers.clear();
  rte_free(qs);
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return rc;
}

}  // namespace umi::daemon
