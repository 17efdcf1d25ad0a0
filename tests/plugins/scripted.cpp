// Test plugin (C++ wrapper): answers each record with a status from its
// configuration, to drive the host through every outcome.
//
//   {"statuses": ["ok", "retry:250", "drop", "throttle:1000", "bad"],
//    "throw": false, "flushFails": false}
//
// Record i of a batch gets statuses[i % n] ("bad" is an out-of-range status
// value: a contract breach the host must survive); "throw": deliver throws;
// "flushFails": flush throws. An unknown word fails create. The constructor
// logs "created at <host clock>".

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "iotbroker/sink.hpp"

namespace {

namespace sink = iotbroker::sink;

class scripted : public sink::instance {
 public:
  static constexpr const char* name = "scripted";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* description = "test: scripted statuses";
  static constexpr const char* config_schema = "statuses: [\"ok\"|\"retry:MS\"|...]";

  explicit scripted(const sink::create_context& ctx) : host_(ctx.host) {
    rapidjson::Document d;
    d.Parse(ctx.config_json.data(), ctx.config_json.size());
    if (d.HasParseError() || !d.IsObject())
      throw sink::error("config: not a JSON object");
    if (d.HasMember("statuses") && d["statuses"].IsArray())
      for (const auto& v : d["statuses"].GetArray())
        plan_.push_back(parse(v.IsString() ? v.GetString() : ""));
    if (plan_.empty())
      plan_.push_back(sink::result{sink::status::ok, 0, {}});
    throw_ = d.HasMember("throw") && d["throw"].IsBool() && d["throw"].GetBool();
    flush_fails_ =
        d.HasMember("flushFails") && d["flushFails"].IsBool() && d["flushFails"].GetBool();
    host_.info("created at " + std::to_string(host_.now_ms()));
  }

  void deliver(const std::vector<sink::record>& records,
               std::vector<sink::result>& results) override {
    if (throw_)
      throw std::runtime_error("scripted exception");
    for (std::size_t i = 0; i < records.size(); ++i) {
      results[i] = plan_[i % plan_.size()];
      if (results[i].status != sink::status::ok)
        results[i].error = "scripted " + results[i].error + " of message " +
                           std::to_string(records[i].message_id) + " on " +
                           std::string{records[i].topic};
    }
  }

  void flush() override {
    if (flush_fails_)
      throw sink::error("scripted flush failure", sink::status::retry);
  }

 private:
  static sink::result parse(const std::string& word) {
    auto colon = word.find(':');
    std::string w = word.substr(0, colon);
    std::uint32_t delay = colon == std::string::npos
                              ? 0
                              : static_cast<std::uint32_t>(std::stoul(word.substr(colon + 1)));
    if (w == "ok")
      return {sink::status::ok, 0, {}};
    if (w == "retry")
      return {sink::status::retry, delay, "retry"};
    if (w == "drop")
      return {sink::status::drop, 0, "drop"};
    if (w == "throttle")
      return {sink::status::throttle, delay, "throttle"};
    if (w == "bad")
      return {static_cast<sink::status>(42), 0, "bad"};
    throw sink::error("statuses: unknown word '" + word + "'");
  }

  sink::host host_;
  std::vector<sink::result> plan_;
  bool throw_ = false;
  bool flush_fails_ = false;
};

}  // namespace

IOTB_SINK_PLUGIN(scripted)
