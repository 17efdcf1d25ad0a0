#include "broker/admin/router.hpp"

namespace iotb::admin {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

constexpr std::size_t max_segments = 64;

const char* method_name(method m) noexcept {
  switch (m) {
    case method::get:
      return "GET";
    case method::post:
      return "POST";
    case method::put:
      return "PUT";
    case method::patch:
      return "PATCH";
    case method::del:
      return "DELETE";
    case method::other:
      break;
  }
  return "";
}

}  // namespace

method parse_method(std::string_view s) noexcept {
  if (s == "GET")
    return method::get;
  if (s == "POST")
    return method::post;
  if (s == "PUT")
    return method::put;
  if (s == "PATCH")
    return method::patch;
  if (s == "DELETE")
    return method::del;
  return method::other;
}

std::optional<std::string_view> params::get(std::string_view name) const noexcept {
  for (auto& [k, v] : items_)
    if (k == name)
      return std::string_view{v};
  return std::nullopt;
}

expected<std::string, route_errc> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size())
        return unexpected{route_errc::bad_target};
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0)
        return unexpected{route_errc::bad_target};
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0')
        return unexpected{route_errc::bad_target};
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out.push_back(c);
  }
  return out;
}

expected<params, route_errc> parse_query(std::string_view q) {
  params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto piece = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (piece.empty())
      continue;
    auto eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : piece.substr(eq + 1), true);
    if (!name || !value)
      return unexpected{route_errc::bad_target};
    out.add(std::move(*name), std::move(*value));
  }
  return out;
}

expected<target, route_errc> parse_target(std::string_view t) {
  if (t.empty() || t.front() != '/')
    return unexpected{route_errc::bad_target};
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return unexpected{route_errc::bad_target};
  target out;
  auto qm = t.find('?');
  auto path = t.substr(0, qm);
  if (qm != std::string_view::npos) {
    auto q = parse_query(t.substr(qm + 1));
    if (!q)
      return unexpected{q.error()};
    out.query = std::move(*q);
  }
  path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = percent_decode(path.substr(0, slash), false);
    if (!seg)
      return unexpected{seg.error()};
    out.segments.push_back(std::move(*seg));
    if (out.segments.size() > max_segments)
      return unexpected{route_errc::bad_target};
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
    if (path.empty())
      out.segments.emplace_back();  // a trailing slash is an empty segment
  }
  if (out.segments.size() > max_segments)
    return unexpected{route_errc::bad_target};
  return out;
}

bool router::add(method m, std::string_view pattern, std::size_t tag) {
  if (pattern.empty() || pattern.front() != '/')
    return false;
  route r{m, {}, tag, 0};
  auto p = pattern.substr(1);
  while (!p.empty()) {
    auto slash = p.find('/');
    auto seg = p.substr(0, slash);
    if (seg.starts_with('{')) {
      if (seg.size() < 3 || !seg.ends_with('}'))
        return false;
      r.pattern.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        return false;
      r.pattern.push_back({std::string(seg), false});
      ++r.score;
    }
    if (slash == std::string_view::npos)
      break;
    p.remove_prefix(slash + 1);
  }
  for (auto& x : routes_) {
    if (x.m != m || x.pattern.size() != r.pattern.size())
      continue;
    bool same = true;
    for (std::size_t i = 0; i < x.pattern.size() && same; ++i)
      same = x.pattern[i].param == r.pattern[i].param &&
             (x.pattern[i].param || x.pattern[i].text == r.pattern[i].text);
    if (same)
      return false;
  }
  routes_.push_back(std::move(r));
  return true;
}

bool router::matches(const route& r, const std::vector<std::string>& segs) {
  if (r.pattern.size() != segs.size())
    return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (r.pattern[i].param ? segs[i].empty() : r.pattern[i].text != segs[i])
      return false;
  }
  return true;
}

expected<route_match, route_errc> router::match(method m,
                                                const std::vector<std::string>& segs) const {
  const route* best = nullptr;
  bool path_known = false;
  for (auto& r : routes_) {
    if (!matches(r, segs))
      continue;
    path_known = true;
    if (r.m == m && (!best || r.score > best->score))
      best = &r;
  }
  if (!best)
    return unexpected{path_known ? route_errc::method_not_allowed : route_errc::not_found};
  route_match out;
  out.tag = best->tag;
  for (std::size_t i = 0; i < segs.size(); ++i)
    if (best->pattern[i].param)
      out.path.add(best->pattern[i].text, segs[i]);
  return out;
}

std::string router::allowed(const std::vector<std::string>& segs) const {
  std::string out;
  for (auto m : {method::get, method::post, method::put, method::patch, method::del}) {
    bool any = false;
    for (auto& r : routes_)
      any = any || (r.m == m && matches(r, segs));
    if (any) {
      if (!out.empty())
        out += ", ";
      out += method_name(m);
    }
  }
  return out;
}

}  // namespace iotb::admin
