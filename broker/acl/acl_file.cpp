#include "broker/acl/acl_file.hpp"

#include <algorithm>

#include "broker/acl/topic_rules.hpp"

namespace iotb::acl {

namespace {

using detail::is_wild;

constexpr std::size_t max_filter_bytes = 65535;

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// Splits off the first blank-separated word of `s` (already trimmed).
std::pair<std::string_view, std::string_view> first_word(std::string_view s) noexcept {
  auto end = s.find_first_of(" \t");
  if (end == std::string_view::npos)
    return {s, {}};
  return {s.substr(0, end), trim(s.substr(end))};
}

std::optional<access> parse_access(std::string_view w) noexcept {
  if (w == "read")
    return access::read;
  if (w == "write")
    return access::write;
  if (w == "readwrite")
    return access::readwrite;
  if (w == "deny")
    return access::deny;
  return std::nullopt;
}

std::vector<std::string_view> split_filter(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    auto slash = s.find('/');
    out.push_back(s.substr(0, slash));
    if (slash == std::string_view::npos)
      return out;
    s.remove_prefix(slash + 1);
  }
}

bool valid_filter(std::string_view f) noexcept {
  if (f.empty() || f.size() > max_filter_bytes || f.find('\0') != std::string_view::npos)
    return false;
  auto levels = split_filter(f);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    auto lv = levels[i];
    if (lv.find('#') != std::string_view::npos && (lv != "#" || i + 1 != levels.size()))
      return false;
    if (lv.find('+') != std::string_view::npos && lv != "+")
      return false;
  }
  return true;
}

/// A first-level wildcard never matches a `$` level (MQTT-4.7.2-1).
bool dollar_guard(std::string_view wild_level, std::string_view other, std::size_t k) noexcept {
  return k == 0 && is_wild(wild_level) && !is_wild(other) && other.starts_with('$');
}

bool has_pm(std::string_view s) noexcept {
  return s.find_first_of("+#") != std::string_view::npos;
}

std::string substitute(std::string_view pattern, std::string_view client_id,
                       std::string_view username) {
  std::string out;
  out.reserve(pattern.size() + client_id.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() &&
        (pattern[i + 1] == 'c' || pattern[i + 1] == 'u')) {
      out.append(pattern[i + 1] == 'c' ? client_id : username);
      ++i;
      continue;
    }
    out.push_back(pattern[i]);
  }
  return out;
}

bool grants(access have, access need) noexcept {
  return (static_cast<unsigned>(have) & static_cast<unsigned>(need)) != 0;
}

}  // namespace

const char* to_string(acl_file_errc e) noexcept {
  switch (e) {
    case acl_file_errc::unknown_keyword:
      return "unknown keyword (expected user, topic or pattern)";
    case acl_file_errc::missing_user:
      return "'user' needs a name";
    case acl_file_errc::missing_filter:
      return "'topic'/'pattern' needs a topic filter";
    case acl_file_errc::bad_access:
      return "bad access (read, write, readwrite or deny)";
    case acl_file_errc::bad_filter:
      return "not a valid MQTT topic filter";
  }
  return "?";
}

std::string acl_parse_error::what() const {
  std::string s = "line " + std::to_string(line) + ": " + to_string(code);
  if (!detail.empty())
    s.append(": '").append(detail).append("'");
  return s;
}

bool filter_covers(std::string_view outer, std::string_view inner) noexcept {
  auto o = split_filter(outer);
  auto in = split_filter(inner);
  for (std::size_t k = 0;; ++k) {
    if (k == o.size())
      return k == in.size();
    if (o[k] == "#")
      return k >= in.size() || !dollar_guard(o[k], in[k], k);
    if (k == in.size() || in[k] == "#")
      return false;
    if (o[k] == "+") {
      if (dollar_guard(o[k], in[k], k))
        return false;
      continue;
    }
    if (in[k] == "+" || o[k] != in[k])
      return false;
  }
}

bool filter_matches(std::string_view filter, std::string_view topic) noexcept {
  return filter_covers(filter, topic);
}

bool filters_overlap(std::string_view a, std::string_view b) noexcept {
  auto x = split_filter(a);
  auto y = split_filter(b);
  for (std::size_t k = 0;; ++k) {
    if (k == x.size() && k == y.size())
      return true;
    if (k < x.size() && x[k] == "#")
      return k >= y.size() || !dollar_guard(x[k], y[k], k);
    if (k < y.size() && y[k] == "#")
      return k >= x.size() || !dollar_guard(y[k], x[k], k);
    if (k == x.size() || k == y.size())
      return false;
    if (x[k] == "+" || y[k] == "+") {
      if (dollar_guard(x[k], y[k], k) || dollar_guard(y[k], x[k], k))
        return false;
      continue;
    }
    if (x[k] != y[k])
      return false;
  }
}

acl_rules::acl_rules(std::vector<acl_line> lines, bool deny_all)
    : lines_(std::move(lines)), deny_all_(deny_all) {
  std::stable_partition(lines_.begin(), lines_.end(),
                        [](const acl_line& l) { return l.what == access::deny; });
}

bool acl_rules::check(std::string_view topic, access need) const noexcept {
  if (deny_all_)
    return false;
  bool granted = false;
  for (const auto& l : lines_) {
    if (!filter_matches(l.filter, topic))
      continue;
    if (l.what == access::deny)
      return false;  // denies come first and win
    granted = granted || grants(l.what, need);
  }
  return granted;
}

bool acl_rules::can_publish(std::string_view topic) const noexcept {
  return check(topic, access::write);
}

bool acl_rules::can_read(std::string_view topic) const noexcept {
  return check(topic, access::read);
}

sub_verdict acl_rules::can_subscribe(std::string_view filter) const noexcept {
  if (deny_all_)
    return sub_verdict::deny;
  bool covered = false, partly = false, deny_overlaps = false;
  for (const auto& l : lines_) {
    if (l.what == access::deny) {
      if (filter_covers(l.filter, filter))
        return sub_verdict::deny;
      deny_overlaps = deny_overlaps || filters_overlap(l.filter, filter);
    } else if (grants(l.what, access::read)) {
      if (filter_covers(l.filter, filter))
        covered = true;
      else
        partly = partly || filters_overlap(l.filter, filter);
    }
  }
  if (covered && !deny_overlaps)
    return sub_verdict::allow;
  return covered || partly ? sub_verdict::allow_checked : sub_verdict::deny;
}

acl_rules acl_file::rules_for(std::optional<std::string_view> username,
                              std::string_view client_id) const {
  const bool anonymous = !username || username->empty();
  std::vector<acl_line> lines;
  if (anonymous) {
    lines = this->anonymous;
  } else if (auto it = users.find(std::string(*username)); it != users.end()) {
    lines = it->second;
  }
  if (patterns.empty())
    return acl_rules(std::move(lines), false);
  // Mosquitto: a client id or username with a wildcard could reach other
  // clients' subtrees through a pattern; such a client gets nothing.
  if (has_pm(client_id) || (!anonymous && has_pm(*username)))
    return acl_rules({}, true);
  for (const auto& p : patterns) {
    if (anonymous && p.filter.find("%u") != std::string::npos)
      continue;
    lines.push_back(acl_line{p.what, substitute(p.filter, client_id, anonymous ? "" : *username)});
  }
  return acl_rules(std::move(lines), false);
}

expected<acl_file, acl_parse_error> parse_acl_file(std::string_view text) {
  acl_file out;
  std::vector<acl_line>* topics = &out.anonymous;
  std::size_t line_no = 0;
  auto fail = [&](acl_file_errc c, std::string_view detail = {}) {
    return unexpected{acl_parse_error{line_no, c, std::string(detail.substr(0, 64))}};
  };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#')
      continue;
    auto [keyword, rest] = first_word(line);
    if (keyword == "user") {
      if (rest.empty())
        return fail(acl_file_errc::missing_user);
      topics = &out.users[std::string(rest)];
    } else if (keyword == "topic" || keyword == "pattern") {
      if (rest.empty())
        return fail(acl_file_errc::missing_filter);
      auto [word, filter] = first_word(rest);
      acl_line l;
      if (filter.empty()) {
        filter = word;  // `topic a/b`: readwrite (and `topic read` names the topic "read")
      } else if (auto a = parse_access(word)) {
        l.what = *a;
      } else {
        return fail(acl_file_errc::bad_access, word);
      }
      if (!valid_filter(filter))
        return fail(acl_file_errc::bad_filter, filter);
      l.filter = std::string(filter);
      (keyword == "topic" ? *topics : out.patterns).push_back(std::move(l));
    } else {
      return fail(acl_file_errc::unknown_keyword, keyword);
    }
  }
  return out;
}

}  // namespace iotb::acl
