#pragma once
/// @file
/// Matching one topic name against one topic filter, without an index: for
/// checks of a single subscription (ACLs, tests) where building a trie
/// would not pay.

#include <string_view>

#include "broker/router/trie_detail.hpp"

namespace iotb::router {

/// True when the validated `topic` name matches the validated, non-shared
/// `filter` under the MQTT rules: '+' matches exactly one level (possibly
/// empty), '#' matches the parent level and any number of levels below, and
/// topics starting with '$' are not matched by filters whose first level is
/// '+' or '#'. Thread-safe, does not allocate. Complexity: O(length).
[[nodiscard]] inline bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')))
    return false;
  detail::level_cursor f{filter};
  detail::level_cursor t{topic};
  std::string_view fl;
  std::string_view tl;
  for (;;) {
    if (!f.next(fl))
      return !t.next(tl);
    if (fl == "#")
      return true;
    if (!t.next(tl))
      return false;
    if (fl != "+" && fl != tl)
      return false;
  }
}

}  // namespace iotb::router
