#include "broker/thing/downlink_check.hpp"

#include <rapidjson/document.h>

namespace iotb::thing {

namespace {

bool checked(const product_model& m) {
  return !m.empty && m.mode == check_mode::strict;
}

std::optional<downlink_problem> first_problem(const check_result& r) {
  if (r.code == alink_code::success)
    return std::nullopt;
  return downlink_problem{r.code, r.findings.empty() ? r.message : r.findings.front().message};
}

}  // namespace

std::optional<downlink_problem> check_property_set(const product_model& m,
                                                   std::string_view params_json) {
  if (!checked(m) || !m.index)
    return std::nullopt;
  rapidjson::Document d;
  d.Parse(params_json.data(), params_json.size());
  if (d.HasParseError() || !d.IsObject() || d.ObjectEmpty())
    return downlink_problem{alink_code::bad_params,
                            "params: an object naming at least one property"};
  if (auto p = first_problem(check_properties(*m.index, d, check_mode::strict)))
    return p;
  for (const auto& member : d.GetObject()) {
    std::string_view id(member.name.GetString(), member.name.GetStringLength());
    const auto* prop = m.index->find(id);
    if (prop && prop->access == access_mode::read)
      return downlink_problem{alink_code::bad_params,
                              "tsl parse: property is read-only -> " + std::string(id)};
  }
  return std::nullopt;
}

std::optional<downlink_problem> check_service_call(const product_model& m,
                                                   std::string_view service_id,
                                                   std::string_view params_json) {
  if (!checked(m))
    return std::nullopt;
  const auto* s = m.model.find_service(service_id);
  if (!s)
    return downlink_problem{alink_code::unknown_identifier,
                            "tsl parse: service not exist -> " + std::string(service_id)};
  rapidjson::Document d;
  d.Parse(params_json.data(), params_json.size());
  if (d.HasParseError() || !d.IsObject())
    return downlink_problem{alink_code::bad_params, "params: must be an object"};
  return first_problem(check_service_input(*s, d, check_mode::strict));
}

}  // namespace iotb::thing
