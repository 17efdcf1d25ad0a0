#pragma once
/// @file
/// loadgen's command line: the options, their parsing and the usage text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tools/loadgen/scenario.hpp"

namespace iotb::loadgen {

struct options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string scenario;
  std::size_t clients = 0;
  std::size_t subscribers = 0;
  unsigned qos = 0;
  std::size_t payload = 64;
  double duration = 10;
  std::uint32_t window = 0;  // 0: automatic
  std::optional<int> broker_pid;
  unsigned mqtt_version = 3;
  bool json = false;
  std::optional<progress_mode> progress;
  bool persistent = false;
  double rate = 0;
  double drain = 3;
  std::string topic;
  std::string transport;  // tcp, tls, ws, wss; empty: tcp (tls with --tls-ca)
  std::string ws_path = "/mqtt";
  std::string tls_ca;
  unsigned source_addresses = 0;
  std::string device_auth;  // CSV path
  std::string alink_params;
  std::size_t concurrency = 200;
  double hold = 2;
  std::optional<std::uint16_t> keep_alive;
  unsigned admin_port = 0;      // rrpc: the admin API
  std::string token;            // rrpc: a Bearer token (empty: $IOTB_TOKEN)
  std::size_t http_conns = 16;  // rrpc: driver connections
  unsigned rrpc_timeout_ms = 3000;
};

/// Parses the command line; prints the usage and exits 64 on an error,
/// prints it and exits 0 on --help.
[[nodiscard]] options parse(int argc, char** argv);

/// TLS under MQTT (tls) or under WebSocket (wss).
[[nodiscard]] bool uses_tls(const options& o);

/// Prints `msg` and the usage; exits 64.
[[noreturn]] void die(const std::string& msg);

}  // namespace iotb::loadgen
