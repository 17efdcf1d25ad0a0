#pragma once
/// @file
/// An ACL file in Mosquitto's format (`--acl-file FILE`) for application
/// credentials and anonymous clients; devices keep their SPEC §3 rules and
/// are never affected. Pure: text in, rules out; no I/O, no globals
/// (fuzzed by tests/fuzz/acl_file_fuzz.cpp).
///
/// Format, one rule per line (leading and trailing blanks ignored; blank
/// lines and lines starting with `#` are comments):
///
///     user <username>                          following topic lines are this user's
///     topic [read|write|readwrite|deny] <filter>   (default readwrite)
///     pattern [read|write|readwrite|deny] <filter> every client; %c = client id,
///                                                  %u = username
///
/// `topic` lines before any `user` line apply to anonymous clients; `user`
/// lines name application credentials (access key ids) — an anonymous
/// client's username is not authenticated and is not looked up. Semantics as Mosquitto 2, with one
/// simplification stated here: a client's rules are its user's (or the anonymous) `topic` lines
/// plus every `pattern` line; a matching `deny` line wins over any grant
/// (Mosquitto lets a user's grant win over a pattern's deny); nothing is
/// allowed unless granted. A pattern naming `%u` does not apply to a client
/// without a username; a client whose client id or username contains `+`
/// or `#` gets no access at all when the file has patterns. Wildcards at
/// the first level never match a `$` topic.
///
/// Subscriptions: a filter is refused when a `deny` line covers it (every
/// topic it can match is denied) or no `read` grant overlaps it; it is
/// allowed outright when a `read` grant covers it and no `deny` line
/// overlaps it; otherwise (a partial grant, a partial deny — `#` with
/// `deny test/nosubscribe`) it is allowed and each delivery is checked
/// with `can_read`.
///
/// Thread-safety: all types are immutable after construction; every const
/// member may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::acl {

/// What a line grants; `deny` takes both directions away.
enum class access : std::uint8_t {
  deny = 0,       ///< neither publish nor receive
  read = 1,       ///< receive (subscribe, deliveries)
  write = 2,      ///< publish
  readwrite = 3,  ///< both
};

/// One `topic` or `pattern` line.
struct acl_line {
  access what = access::readwrite;
  std::string filter;  ///< an MQTT filter (patterns: before substitution)
};

/// Why a file is refused; every value comes with the 1-based line number.
enum class acl_file_errc : std::uint8_t {
  unknown_keyword,  ///< a line that is not `user`, `topic`, `pattern` or a comment
  missing_user,     ///< `user` without a name
  missing_filter,   ///< `topic`/`pattern` without a filter
  bad_access,       ///< an access word other than read, write, readwrite, deny
  bad_filter,       ///< not a valid MQTT filter (misplaced `#`/`+`, NUL, too long)
};

/// Static text for `acl_file_errc`.
[[nodiscard]] const char* to_string(acl_file_errc e) noexcept;

/// A parse error: which line, what is wrong.
struct acl_parse_error {
  std::size_t line = 0;  ///< 1-based
  acl_file_errc code = acl_file_errc::unknown_keyword;
  /// "line 3: bad access 'rw' (read, write, readwrite or deny)".
  [[nodiscard]] std::string what() const;
  std::string detail;  ///< the offending word, if any
};

/// How a subscription is allowed (see the file comment).
enum class sub_verdict : std::uint8_t {
  deny,           ///< refuse (SUBACK 0x80 / 0x87)
  allow,          ///< every topic it can match may be received
  allow_checked,  ///< allowed; each delivery must pass `can_read`
};

/// The rules of one client, substitutions done: what the checks use.
class acl_rules {
 public:
  acl_rules() = default;
  /// `lines`: the client's applicable lines in any order; `deny_all`: the
  /// client gets nothing (dangerous client id or username).
  acl_rules(std::vector<acl_line> lines, bool deny_all);

  /// May the client publish to `topic` (a topic name, no wildcards)?
  [[nodiscard]] bool can_publish(std::string_view topic) const noexcept;
  /// May the client receive a message published to `topic`?
  [[nodiscard]] bool can_read(std::string_view topic) const noexcept;
  /// May the client subscribe to `filter` (without `$share/<group>/`)?
  [[nodiscard]] sub_verdict can_subscribe(std::string_view filter) const noexcept;

 private:
  [[nodiscard]] bool check(std::string_view topic, access need) const noexcept;
  std::vector<acl_line> lines_;  ///< deny lines first
  bool deny_all_ = false;
};

/// A parsed ACL file.
struct acl_file {
  std::vector<acl_line> anonymous;  ///< `topic` lines before any `user` line
  std::unordered_map<std::string, std::vector<acl_line>> users;
  std::vector<acl_line> patterns;

  /// The rules of a client: `username` empty or nullopt = anonymous.
  [[nodiscard]] acl_rules rules_for(std::optional<std::string_view> username,
                                    std::string_view client_id) const;
};

/// Parses an ACL file's text.
/// @returns the file, or the first error with its line number.
[[nodiscard]] expected<acl_file, acl_parse_error> parse_acl_file(std::string_view text);

/// MQTT filter matching (`+`, `#`, `$` topics) — exposed for tests.
/// True when `topic` (no wildcards) matches `filter`.
[[nodiscard]] bool filter_matches(std::string_view filter, std::string_view topic) noexcept;
/// True when every topic `inner` can match is matched by `outer`.
[[nodiscard]] bool filter_covers(std::string_view outer, std::string_view inner) noexcept;
/// True when some topic is matched by both filters.
[[nodiscard]] bool filters_overlap(std::string_view a, std::string_view b) noexcept;

}  // namespace iotb::acl
