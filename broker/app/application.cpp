#include "broker/app/application.hpp"

#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "actors/admin_api.hpp"
#include "actors/admin_device_mgmt.hpp"
#include "actors/admin_quotas.hpp"
#include "actors/admin_thing.hpp"
#include "actors/connect_gate.hpp"
#include "actors/context.hpp"
#include "actors/desired_courier.hpp"
#include "actors/device_calls.hpp"
#include "actors/live.hpp"
#include "actors/messages.hpp"
#include "actors/ntp_responder.hpp"
#include "actors/rule_engine.hpp"
#include "actors/session_manager.hpp"
#include "actors/shadow_service.hpp"
#include "actors/thing_calls.hpp"
#include "actors/thing_handler.hpp"
#include "broker/acl/policy.hpp"
#include "broker/admin/console.hpp"
#include "broker/admin/server.hpp"
#include "broker/auth/registry_auth.hpp"
#include "broker/log/log.hpp"
#include "broker/net/io_pool.hpp"
#include "broker/net/tcp_listener.hpp"
#include "broker/plugins/registry.hpp"
#include "broker/tls/engine.hpp"
#include "broker/tls/random.hpp"
#include "broker/util/clock.hpp"

namespace iotb::app {

namespace {

unsigned cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

std::vector<listener_spec> listeners_of(const config& cfg) {
  std::vector<listener_spec> all = {
      {"mqtt", metrics::listener_id::mqtt, cfg.mqtt, false, false, true},
      {"mqtts", metrics::listener_id::mqtts, cfg.mqtts, true, false, cfg.mqtts_set},
      {"ws", metrics::listener_id::ws, cfg.ws, false, true, true},
      {"wss", metrics::listener_id::wss, cfg.wss, true, true, cfg.wss_set},
  };
  std::erase_if(all, [](const listener_spec& s) { return !s.ep.enabled(); });
  return all;
}

application::application(config cfg) : cfg_(std::move(cfg)) {}

application::~application() {
  stop();
}

bool application::open_stores() {
  ctx_ = std::make_shared<actors::broker_context>(cfg_);
  // The broker's own writes here (device log and state) are synced once a
  // second by its writer; durable changes (admin API, registration tokens)
  // are synced before their caller hears of them (writer::change).
  store::env_options reg_opts;
  reg_opts.sync = false;
  auto registry = store::env::open(cfg_.data_dir + "/registry", reg_opts);
  if (!registry) {
    IOTB_LOG(error, "main") << "cannot open the registry: " << registry.error().what;
    return false;
  }
  ctx_->registry = *registry;
  ctx_->writer =
      std::make_unique<store::writer>(ctx_->registry, 1000, std::chrono::milliseconds{10});
  // Every durable registry change of this process (admin API, registration
  // tokens) goes through this one writer.
  ctx_->writer->route_to(*ctx_->registry);
  auth::registry_auth_options ao;
  ao.keep_alive_min = cfg_.device_keep_alive_min;
  ao.keep_alive_max = cfg_.device_keep_alive_max;
  ao.max_skew = cfg_.sign_max_skew;
  ao.auto_subscribe_always = cfg_.auto_subscribe_always;
  ctx_->authn = std::make_unique<auth::registry_authenticator>(ctx_->registry, ao);
  auto authz = acl::make_authorizer(cfg_.acl_file);
  if (!authz) {
    IOTB_LOG(error, "main") << authz.error();
    return false;
  }
  ctx_->authz = std::move(*authz);
  if (!cfg_.persistence) {
    IOTB_LOG(warn, "main") << "persistence off: sessions, QoS 1 queues and retained messages "
                              "live in memory and are lost at restart";
    return true;
  }
  store::session_store_options so;
  so.mode = *store::parse_durability(cfg_.durability);
  so.window = std::chrono::milliseconds{cfg_.commit_window_ms};
  so.batch_interval = std::chrono::milliseconds{cfg_.batch_interval_ms};
  so.max_map_size = static_cast<std::size_t>(cfg_.store_max_size_mb) << 20;
  so.map_size = std::min(so.map_size, so.max_map_size);
  so.retention = std::chrono::seconds{cfg_.qos1_retention};
  so.on_commit = [m = &ctx_->metrics](std::chrono::nanoseconds took) {
    m->store_commits.inc();
    m->store_commit_seconds.observe(std::chrono::duration<double>(took).count());
  };
  auto st = store::session_store::open(cfg_.data_dir + "/sessions", so);
  if (!st) {
    IOTB_LOG(error, "main") << "cannot open the session store: " << st.error().what;
    return false;
  }
  ctx_->durable = std::move(*st);
  return true;
}

bool application::start() {
  if (started_)
    return true;
  started_ = true;
  if (!open_stores())
    return false;
  store::loaded_state restored;
  if (ctx_->durable) {
    auto loaded = ctx_->durable->load(clock::wall_ms());
    if (!loaded) {
      IOTB_LOG(error, "main") << "cannot read the session store " << cfg_.data_dir
                              << "/sessions: " << loaded.error().what;
      return false;
    }
    restored = std::move(*loaded);
    for (auto& m : restored.retained)
      ctx_->retained.set(m->topic, m);
    IOTB_LOG(info, "main") << "session store: " << restored.sessions.size()
                           << " persistent sessions, " << restored.queued << " queued messages, "
                           << restored.retained.size() << " retained; removed "
                           << restored.expired_sessions << " expired sessions, "
                           << restored.expired_messages << " expired messages, " << restored.orphans
                           << " orphans"
                           << (restored.corrupt ? "; " + std::to_string(restored.corrupt) +
                                                      " corrupt records skipped (see above)"
                                                : std::string{})
                           << " (durability " << cfg_.durability << ")";
    restored.retained.clear();
  }
  actor_cfg_ = std::make_unique<caf::actor_system_config>();
  actor_cfg_->set("scheduler.max-threads",
                  static_cast<size_t>(cfg_.workers ? cfg_.workers : cores()));
  actor_cfg_->set("scheduler.max-throughput", cfg_.max_throughput);
  // Poll briefly, then sleep: the clients share these cores.
  actor_cfg_->set("work-stealing.moderate-poll-attempts", size_t{50});
  system_ = std::make_unique<caf::actor_system>(*actor_cfg_);
  ctx_->restoring = restored.sessions.size();
  ctx_->manager = system_->spawn<actors::session_manager>(ctx_, std::move(restored.sessions),
                                                          restored.max_store_id);
  // Internal subscribers: broker-side consumers of device traffic.
  internal_.push_back(caf::actor_cast<caf::actor>(system_->spawn(actors::ntp_responder, ctx_)));
  internal_.push_back(caf::actor_cast<caf::actor>(system_->spawn(actors::thing_handler, ctx_)));
  // Device shadows: one service, one actor per device in use (linked to it).
  shadows_ = caf::actor_cast<caf::actor>(system_->spawn(actors::shadow_service, ctx_));
  internal_.push_back(shadows_);
  // Server → device calls, with the thing store behind its seams (offline
  // property sets kept as desired values; services' callType), and the
  // courier that delivers desired values when a device reconnects.
  auto calls = actors::spawn_device_calls(*system_, ctx_, actors::thing_call_config(ctx_));
  calls_ = caf::actor_cast<caf::actor>(calls);
  internal_.push_back(
      caf::actor_cast<caf::actor>(system_->spawn(actors::desired_courier, ctx_, calls)));
  internal_.push_back(calls_);
  // Sink plugins: a file that does not load is logged and skipped.
  plugins_ = plugins::plugin_registry::load(cfg_.plugin_dirs);
  IOTB_LOG(info, "main") << "sink plugins: " << plugins_->plugins().size() << " loaded, "
                         << plugins_->errors().size() << " skipped";
  // The rules engine: every stored rule an actor, its sinks from the plugins.
  rule_table_ = std::make_shared<actors::rule_table>();
  {
    actors::rule_engine_config rc;
    rc.plugins = plugins_;
    rc.table = rule_table_;
    rules_ = caf::actor_cast<caf::actor>(actors::spawn_rule_engine(*system_, ctx_, std::move(rc)));
    internal_.push_back(rules_);
  }
  ctx_->metrics_extra = [table = rule_table_] { return actors::render_rule_prometheus(*table); };
  pool_ = std::make_unique<net::io_pool>(cfg_.io_threads ? cfg_.io_threads : cores());
  if (!open_listeners() || !open_admin()) {
    stop();
    return false;
  }
  if (listeners_.empty())
    IOTB_LOG(warn, "main") << "no listener enabled";
  if (cfg_.local_mode)
    IOTB_LOG(info, "main") << "local mode: no config file and no listener flags, so listeners "
                              "bind 127.0.0.1 only and anonymous clients are allowed";
  // Restored sessions must be subscribed before the first client publishes.
  for (int i = 0; ctx_->restoring.load(std::memory_order_acquire) != 0 && i < 60000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  pool_->start();
  for (auto& l : listeners_)
    l->start();
  if (admin_) {
    admin_->start();
    IOTB_LOG(info, "main") << "listening: admin " << (cfg_.admin_tls ? "https" : "http") << "://"
                           << cfg_.admin.to_string() << "/api/v1";
    IOTB_LOG(info, "main") << "console: " << (cfg_.admin_tls ? "https" : "http") << "://"
                           << cfg_.admin.to_string() << "/";
  }
  IOTB_LOG(info, "main") << "iotbroker " << IOTBROKER_VERSION << " ready (io threads "
                         << pool_->size() << ", workers " << (cfg_.workers ? cfg_.workers : cores())
                         << ", data dir " << cfg_.data_dir << ")";
  return true;
}

bool application::open_listeners() {
  actors::connect_gate gate{ctx_};
  for (const auto& spec : listeners_of(cfg_)) {
    net::transport_settings ts;
    if (spec.tls) {
      if (cfg_.tls_cert.empty() || cfg_.tls_key.empty()) {
        if (spec.required) {
          IOTB_LOG(error, "main") << "--" << spec.name
                                  << " needs --tls-cert and --tls-key "
                                     "(make a development pair with: iotbroker cert dev)";
          return false;
        }
        IOTB_LOG(info, "main") << spec.name
                               << " listener off: no --tls-cert/--tls-key "
                                  "(iotbroker cert dev makes a development pair)";
        continue;
      }
      if (!tls_) {
        tls::server_options so;
        so.cert_file = cfg_.tls_cert;
        so.key_file = cfg_.tls_key;
        so.ca_file = cfg_.tls_ca;
        so.cipher_list = cfg_.tls_ciphers;
        auto tctx = tls::tls_context::make_server(so);
        if (!tctx) {
          IOTB_LOG(error, "main") << "TLS: " << tctx.error();
          return false;
        }
        tls_ = *tctx;
      }
      ts.tls = tls_;
      ts.secure = true;
    }
    ts.websocket = spec.websocket;
    ts.ws_path = cfg_.ws_path;
    ts.max_packet_size = cfg_.max_packet_size;
    ts.max_connect_size = cfg_.max_connect_size;
    ts.connect_timeout = std::chrono::seconds{cfg_.connect_timeout};
    ts.anonymous_allowed = cfg_.anonymous_allowed(spec.ep);
    ts.listener_name = spec.name;
    ts.metrics = &ctx_->metrics;
    ts.listener_metrics = &ctx_->metrics.listener(spec.id);
    ts.max_bytes_per_s = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(cfg_.max_connection_bandwidth / 8, 0xFFFFFFFFu));
    auto l = net::tcp_listener::open(*pool_, spec.ep, ts, gate);
    if (!l) {
      IOTB_LOG(error, "main") << "cannot listen (" << spec.name << "): " << l.error();
      return false;
    }
    listeners_.push_back(*l);
    IOTB_LOG(info, "main") << "listening: " << spec.name << " " << spec.ep.to_string()
                           << (spec.websocket ? cfg_.ws_path : std::string{}) << " (anonymous "
                           << (ts.anonymous_allowed ? "allowed" : "refused") << ")";
  }
  return true;
}

bool application::open_admin() {
  if (!cfg_.admin.enabled())
    return true;
  auto opts = admin::server_options::at(cfg_.admin.host, cfg_.admin.port, cfg_.data_dir);
  if (!opts) {
    IOTB_LOG(error, "main") << "cannot listen (admin): " << opts.error();
    return false;
  }
  if (cfg_.admin_tls) {
    if (cfg_.tls_cert.empty() || cfg_.tls_key.empty()) {
      IOTB_LOG(error, "main") << "--admin-tls needs --tls-cert and --tls-key (make a development "
                                 "pair with: iotbroker cert dev)";
      return false;
    }
    // The broker's certificate, but no client-certificate request (--tls-ca
    // is for devices): a browser would prompt for one on the console.
    tls::server_options so;
    so.cert_file = cfg_.tls_cert;
    so.key_file = cfg_.tls_key;
    so.cipher_list = cfg_.tls_ciphers;
    auto tctx = tls::tls_context::make_server(so);
    if (!tctx) {
      IOTB_LOG(error, "main") << "admin TLS: " << tctx.error();
      return false;
    }
    opts->tls = *tctx;
  }
  auto a = admin::server::open(pool_->front(), ctx_->registry, std::move(*opts));
  if (!a) {
    IOTB_LOG(error, "main") << "cannot listen (admin): " << a.error();
    return false;
  }
  admin_ = std::move(*a);
  // /metrics is open on a loopback listener (SPEC §12), else it needs a
  // token unless --metrics-public.
  auto quotas = std::make_shared<actors::admin_quotas>(cfg_);
  actors::add_broker_routes(*admin_, ctx_, cfg_.admin.loopback() || cfg_.metrics_public, quotas);
  actors::add_call_routes(*admin_, ctx_, caf::actor_cast<actors::calls_actor>(calls_), quotas);
  actors::add_thing_routes(*admin_, ctx_);
  actors::add_rule_routes(*admin_, ctx_, caf::actor_cast<actors::rules_actor>(rules_), rule_table_,
                          plugins_);
  actors::add_shadow_routes(*admin_, ctx_, caf::actor_cast<actors::shadow_service_actor>(shadows_),
                            quotas);
  actors::add_device_mgmt_routes(*admin_, ctx_, quotas);
  // Links devices download files from (configuration files).
  ctx_->files_key = tls::random_hex(32);
  ctx_->files_base = cfg_.public_url;
  if (ctx_->files_base.empty()) {
    auto ep = cfg_.admin;
    if (ep.host == "0.0.0.0" || ep.host == "::" || ep.host.empty()) {
      IOTB_LOG(warn, "main") << "the admin listener binds " << ep.to_string()
                             << ": configuration file links name 127.0.0.1; set --public-url "
                                "to the address devices reach it at";
      ep.host = "127.0.0.1";
    }
    ctx_->files_base = (cfg_.admin_tls ? "https://" : "http://") + ep.to_string();
  }
  // The live WebSocket; its trace tap is set before any client connects.
  live_ = std::make_shared<actors::live_hub>(ctx_, pool_->front(), admin_->ids());
  admin_->http().set_upgrade_handler(
      [hub = live_](admin::request& req, auto& stream, const std::string& remote) {
        return hub->upgrade(req, stream, remote);
      });
  admin_->route(admin::method::get, "/api/v1/plugins", admin::access::read,
                [reg = plugins_](const std::shared_ptr<admin::api_call>& c) {
                  c->reply(200, reg->to_json());
                });
  admin_->route(admin::method::get, "/api/v1/ws", admin::access::read,
                [](const std::shared_ptr<admin::api_call>& c) {
                  c->fail(admin::api_error{admin::api_errc::bad_request,
                                           "a WebSocket upgrade is required here"});
                });
  // The web console (GET /, GET /assets/{name}), compiled into the binary.
  admin::add_console_routes(*admin_, admin::embedded_console_assets());
  live_->start();
  return true;
}

void application::stop_actors() {
  if (!system_)
    return;
  caf::anon_send(ctx_->manager, actors::shutdown_atom::value);
  for (auto& a : internal_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  internal_.clear();
  calls_ = caf::actor{};
  shadows_ = caf::actor{};
  rules_ = caf::actor{};
  system_->await_all_actors_done();
}

void application::stop() {
  if (!started_ || stopped_)
    return;
  stopped_ = true;
  for (auto& l : listeners_)
    l->stop();
  if (live_)
    live_->stop();
  admin_.reset();
  stop_actors();
  if (ctx_) {
    if (ctx_->registry)
      ctx_->registry->route_writes({});  // waits for a change in progress
    ctx_->writer.reset();                // commits what the sessions logged last
    ctx_->durable.reset();               // commits and syncs the queues; closes LMDB
    // Break the reference cycles context → actor handles → actors → context.
    ctx_->subs.clear();
    ctx_->directory.clear();
    ctx_->manager = actors::manager_actor{};
  }
  if (pool_) {
    pool_->stop();
    pool_->join();
  }
  listeners_.clear();
  system_.reset();
  IOTB_LOG(info, "main") << "stopped";
}

}  // namespace iotb::app
