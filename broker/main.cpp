// iotbroker: process entry point. Parses the command line, builds the shared
// context, starts the actor system, the I/O pool and the listeners, then
// waits for SIGINT/SIGTERM and shuts down gracefully.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/session_manager.hpp"
#include "broker/acl/policy.hpp"
#include "broker/auth/registry_auth.hpp"
#include "broker/cli/cli.hpp"
#include "broker/config/config.hpp"
#include "broker/log/log.hpp"
#include "broker/net/io_pool.hpp"
#include "broker/net/tcp_listener.hpp"
#include "broker/tls/engine.hpp"

namespace {

using namespace iotb;

unsigned cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

int run_broker(const config& cfg) {
  // Signals are taken by sigwait in this thread only: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto ctx = std::make_shared<actors::broker_context>(cfg);
  // The broker writes only the device log and device state here (the CLI
  // writes the registry, synced): its writer syncs once a second.
  store::env_options reg_opts;
  reg_opts.sync = false;
  auto registry = store::env::open(cfg.data_dir + "/registry", reg_opts);
  if (!registry) {
    IOTB_LOG(error, "main") << "cannot open the registry: " << registry.error().what;
    return 1;
  }
  ctx->registry = *registry;
  ctx->writer = std::make_unique<store::writer>(ctx->registry, 1000, std::chrono::milliseconds{10});
  store::loaded_state restored;
  if (cfg.persistence) {
    store::session_store_options so;
    so.mode = *store::parse_durability(cfg.durability);
    so.window = std::chrono::milliseconds{cfg.commit_window_ms};
    so.batch_interval = std::chrono::milliseconds{cfg.batch_interval_ms};
    so.max_map_size = static_cast<std::size_t>(cfg.store_max_size_mb) << 20;
    so.map_size = std::min(so.map_size, so.max_map_size);
    so.retention = std::chrono::seconds{cfg.qos1_retention};
    auto st = store::session_store::open(cfg.data_dir + "/sessions", so);
    if (!st) {
      IOTB_LOG(error, "main") << "cannot open the session store: " << st.error().what;
      return 1;
    }
    auto loaded = (*st)->load(store::wall_ms());
    if (!loaded) {
      IOTB_LOG(error, "main") << "cannot read the session store " << cfg.data_dir
                              << "/sessions: " << loaded.error().what;
      return 1;
    }
    restored = std::move(*loaded);
    ctx->durable = std::move(*st);
    for (auto& m : restored.retained)
      ctx->retained.set(m->topic, m);
    IOTB_LOG(info, "main") << "session store: " << restored.sessions.size()
                           << " persistent sessions, " << restored.queued << " queued messages, "
                           << restored.retained.size() << " retained; removed "
                           << restored.expired_sessions << " expired sessions, "
                           << restored.expired_messages << " expired messages, " << restored.orphans
                           << " orphans" << (restored.corrupt ? "; " : "")
                           << (restored.corrupt ? std::to_string(restored.corrupt) +
                                                      " corrupt records skipped (see above)"
                                                : std::string{})
                           << " (durability " << cfg.durability << ")";
    restored.retained.clear();
  } else {
    IOTB_LOG(warn, "main") << "persistence off: sessions, QoS 1 queues and retained messages "
                              "live in memory and are lost at restart";
  }
  auth::registry_auth_options ao;
  ao.keep_alive_min = cfg.device_keep_alive_min;
  ao.keep_alive_max = cfg.device_keep_alive_max;
  ao.max_skew = cfg.sign_max_skew;
  ao.auto_subscribe_always = cfg.auto_subscribe_always;
  ctx->authn = std::make_unique<auth::registry_authenticator>(ctx->registry, ao);
  auto authz = acl::make_authorizer(cfg.acl_file);
  if (!authz) {
    IOTB_LOG(error, "main") << authz.error();
    return 1;
  }
  ctx->authz = std::move(*authz);
  caf::actor_system_config acfg;
  acfg.set("scheduler.max-threads", static_cast<size_t>(cfg.workers ? cfg.workers : cores()));
  acfg.set("scheduler.max-throughput", cfg.max_throughput);
  // Poll briefly, then sleep: the clients share these cores.
  acfg.set("work-stealing.moderate-poll-attempts", size_t{50});
  caf::actor_system sys{acfg};
  ctx->restoring = restored.sessions.size();
  ctx->manager =
      sys.spawn<actors::session_manager>(ctx, std::move(restored.sessions), restored.max_store_id);

  net::io_pool pool{cfg.io_threads ? cfg.io_threads : cores()};
  std::vector<std::shared_ptr<net::tcp_listener>> listeners;
  auto on_connect = [mgr = ctx->manager](net::transport_ptr t, mqtt::connect&& c) {
    caf::anon_send(mgr, actors::connect_atom::value,
                   std::make_shared<actors::connect_request>(
                       actors::connect_request{std::move(t), std::move(c)}));
  };
  auto listen = [&](const endpoint& ep, const char* name,
                    std::shared_ptr<const tls::tls_context> tls_ctx) {
    net::transport_settings ts;
    ts.max_packet_size = cfg.max_packet_size;
    ts.connect_timeout = std::chrono::seconds{cfg.connect_timeout};
    ts.anonymous_allowed = cfg.anonymous_allowed(ep);
    ts.listener_name = name;
    ts.max_bytes_per_s = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(cfg.max_connection_bandwidth / 8, 0xFFFFFFFFu));
    ts.secure = static_cast<bool>(tls_ctx);
    ts.tls = std::move(tls_ctx);
    auto l = net::tcp_listener::open(pool, ep, ts, on_connect);
    if (!l) {
      IOTB_LOG(error, "main") << "cannot listen (" << name << "): " << l.error();
      return false;
    }
    listeners.push_back(*l);
    IOTB_LOG(info, "main") << "listening: " << name << " " << ep.to_string() << " (anonymous "
                           << (ts.anonymous_allowed ? "allowed" : "refused") << ")";
    return true;
  };
  bool ok = true;
  if (cfg.mqtt.enabled())
    ok = listen(cfg.mqtt, "mqtt", nullptr);
  if (ok && cfg.mqtts.enabled()) {
    if (cfg.tls_cert.empty() || cfg.tls_key.empty()) {
      if (cfg.mqtts_set) {
        IOTB_LOG(error, "main") << "--mqtts needs --tls-cert and --tls-key "
                                   "(make a development pair with: iotbroker cert dev)";
        ok = false;
      } else {
        IOTB_LOG(info, "main") << "mqtts listener off: no --tls-cert/--tls-key "
                                  "(iotbroker cert dev makes a development pair)";
      }
    } else {
      tls::server_options so;
      so.cert_file = cfg.tls_cert;
      so.key_file = cfg.tls_key;
      so.ca_file = cfg.tls_ca;
      so.cipher_list = cfg.tls_ciphers;
      auto tctx = tls::tls_context::make_server(so);
      if (!tctx) {
        IOTB_LOG(error, "main") << "TLS: " << tctx.error();
        ok = false;
      } else {
        ok = listen(cfg.mqtts, "mqtts", *tctx);
      }
    }
  }
  if (!ok) {
    caf::anon_send_exit(ctx->manager, caf::exit_reason::user_shutdown);
    sys.await_all_actors_done();
    ctx->subs.clear();
    ctx->manager = caf::actor{};
    ctx->durable.reset();
    return 1;
  }
  if (listeners.empty())
    IOTB_LOG(warn, "main") << "no listener enabled";
  if (cfg.local_mode)
    IOTB_LOG(info, "main") << "local mode: no config file and no listener flags, so listeners "
                              "bind 127.0.0.1 only and anonymous clients are allowed";
  // Restored sessions must be subscribed before the first client publishes.
  for (int i = 0; ctx->restoring.load(std::memory_order_acquire) != 0 && i < 60000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  pool.start();
  for (auto& l : listeners)
    l->start();
  IOTB_LOG(info, "main") << "iotbroker " << IOTBROKER_VERSION << " ready (io threads "
                         << pool.size() << ", workers " << (cfg.workers ? cfg.workers : cores())
                         << ", data dir " << cfg.data_dir << ")";

  int sig = 0;
  sigwait(&sigs, &sig);
  IOTB_LOG(info, "main") << "signal " << sig << ": shutting down";
  for (auto& l : listeners)
    l->stop();
  caf::anon_send(ctx->manager, actors::shutdown_atom::value);
  sys.await_all_actors_done();
  ctx->writer.reset();   // commits what the sessions logged last
  ctx->durable.reset();  // commits and syncs the queues; closes LMDB
  // Break the reference cycles context → actor handles → actors → context.
  ctx->subs.clear();
  ctx->manager = caf::actor{};
  pool.stop();
  pool.join();
  IOTB_LOG(info, "main") << "stopped";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (auto rc = iotb::cli::run(args))
    return *rc;
  auto cli = iotb::parse_command_line(args);
  if (!cli) {
    std::cerr << "iotbroker: " << cli.error() << "\n";
    return 2;
  }
  if (cli->show_help) {
    std::cout << iotb::help_text() << "\n" << iotb::cli::help_text();
    return 0;
  }
  if (cli->show_version) {
    std::cout << "iotbroker " << IOTBROKER_VERSION << "\n";
    return 0;
  }
  iotb::log::set_level(cli->cfg.log_level);
  return run_broker(cli->cfg);
}
