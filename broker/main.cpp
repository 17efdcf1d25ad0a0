// iotbroker: process entry point. Runs a management command, or parses the
// command line, starts the broker (broker/app/application.hpp), waits for
// SIGINT/SIGTERM and shuts it down gracefully.

#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "broker/app/application.hpp"
#include "broker/cli/cli.hpp"
#include "broker/config/config.hpp"
#include "broker/log/log.hpp"

namespace {

int run_broker(const iotb::config& cfg) {
  // Signals are taken by sigwait in this thread only: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  iotb::app::application app{cfg};
  if (!app.start())
    return 1;
  int sig = 0;
  sigwait(&sigs, &sig);
  IOTB_LOG(info, "main") << "signal " << sig << ": shutting down";
  app.stop();
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
