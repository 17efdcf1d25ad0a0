// libFuzzer target for the device-access parsers: the client-id extension
// (`<id>|k=v,...|`), the `deviceName&productKey` username, and the topic
// ACL (device, application, anonymous checks and category parsing).
//
// Input: the bytes are split at the first two NUL bytes into a client id, a
// username and a topic/filter. Invariants checked: parsing never crashes;
// a parsed client id is at most 64 bytes when it has an extension; a topic
// the device may publish is never a wildcard filter and never another
// product's; whatever the device may subscribe to stays within 128 bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "broker/acl/device_acl.hpp"
#include "broker/auth/sign.hpp"

using namespace iotb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto cut1 = in.find('\0');
  auto client_id = in.substr(0, cut1);
  auto rest = cut1 == std::string_view::npos ? std::string_view{} : in.substr(cut1 + 1);
  auto cut2 = rest.find('\0');
  auto username = rest.substr(0, cut2);
  auto topic = cut2 == std::string_view::npos ? rest : rest.substr(cut2 + 1);

  auto ext = auth::parse_client_id(client_id);
  if (ext && ext->has_extension && (ext->client_id.empty() || ext->client_id.size() > 64))
    std::abort();
  (void)auth::parse_username(username);
  (void)auth::device_sign_content(client_id, username, topic, std::string(username));
  (void)auth::valid_product_name(username);
  (void)auth::valid_device_name(username);

  static const std::vector<acl::topic_category> cats = {{"data/+", false, true},
                                                        {"up", true, false}};
  acl::device_scope d{"a1B2c3D4e5F", "dev-1", cats, true};
  if (acl::device_can_publish(d, topic) == acl::verdict::allow) {
    if (topic.find_first_of("+#") != std::string_view::npos)
      std::abort();
    if (topic.find("a1B2c3D4e5F") == std::string_view::npos)
      std::abort();
  }
  if (acl::device_can_subscribe(d, topic) == acl::verdict::allow && topic.size() > 128)
    std::abort();
  std::vector<std::string> products = {"a1B2c3D4e5F"};
  (void)acl::app_can_subscribe(acl::app_scope{products}, topic);
  (void)acl::app_can_publish(acl::app_scope{products}, topic);
  (void)acl::anonymous_can_subscribe(topic);
  (void)acl::anonymous_can_publish(topic);
  (void)acl::parse_category(topic, username);
  return 0;
}
