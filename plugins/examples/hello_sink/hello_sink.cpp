// hello: the smallest useful sink. It logs every record through the broker's
// log and counts them; `{"greeting":"..."}` would be its configuration, but
// to stay dependency-free it only checks that it got a JSON object.
// Build: see CMakeLists.txt beside it; docs/plugins.md explains the ABI.

#include <string>

#include "iotbroker/sink.hpp"

namespace {

namespace sink = iotbroker::sink;

class hello_sink : public sink::instance {
 public:
  static constexpr const char* name = "hello";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "Logs each record through the broker (a sample)";
  static constexpr const char* config_schema = R"({"type":"object"})";

  explicit hello_sink(const sink::create_context& ctx) : host_(ctx.host) {
    if (ctx.config_json.empty() || ctx.config_json.front() != '{')
      throw sink::error("the configuration must be a JSON object");  // create fails: DROP
    host_.info("hello, " + std::string{ctx.instance_name});
  }

  ~hello_sink() override { host_.info("goodbye after " + std::to_string(count_) + " records"); }

  void deliver(const std::vector<sink::record>& records,
               std::vector<sink::result>& results) override {
    for (std::size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      if (r.output.empty()) {  // nothing to say: a permanent failure for this record
        results[i] = {sink::status::drop, 0, "empty output"};
        continue;
      }
      host_.info(std::string{r.topic} + " " + std::string{r.output});
      ++count_;
    }
    // Results left unset are OK.
  }

 private:
  sink::host host_;
  unsigned long count_ = 0;
};

}  // namespace

IOTB_SINK_PLUGIN(hello_sink)
