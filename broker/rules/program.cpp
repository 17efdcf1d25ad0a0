#include "broker/rules/program.hpp"

#include <cstring>
#include <limits>

#include <rapidjson/reader.h>

#include <boost/container/small_vector.hpp>

#include "broker/rules/compiled.hpp"
#include "broker/rules/json_out.hpp"

namespace iotb::rules {

std::string to_string(const sql_error& e) {
  return "line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ": " +
         e.message;
}

// --- parsed_payload

namespace {

/// Forwards SAX events to a document, refusing nesting deeper than the
/// limit (the parse stops at once: nothing deep is ever built).
struct depth_capped {
  parsed_payload::document& d;
  std::size_t depth = 0;
  bool too_deep = false;

  bool Null() { return d.Null(); }
  bool Bool(bool b) { return d.Bool(b); }
  bool Int(int i) { return d.Int(i); }
  bool Uint(unsigned u) { return d.Uint(u); }
  bool Int64(std::int64_t i) { return d.Int64(i); }
  bool Uint64(std::uint64_t u) { return d.Uint64(u); }
  bool Double(double x) { return d.Double(x); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return d.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return d.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return d.Key(s, n, copy); }
  bool StartObject() { return open() && d.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return d.EndObject(n);
  }
  bool StartArray() { return open() && d.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return d.EndArray(n);
  }
  bool open() {
    if (++depth > limits::max_payload_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
};

}  // namespace

parsed_payload::parsed_payload(std::string_view payload) {
  // In situ: one copy of the text into the pool, strings stay where they are.
  if (payload.size() >= std::numeric_limits<std::uint32_t>::max()) {
    state_ = state::not_json;
    return;
  }
  if (!detail::valid_utf8(payload)) {  // checked here, fast for ASCII, not per parsed character
    state_ = state::not_json;
    return;
  }
  auto* text = static_cast<char*>(value_pool_.Malloc(payload.size() + 1));
  std::memcpy(text, payload.data(), payload.size());
  text[payload.size()] = '\0';
  rapidjson::GenericInsituStringStream<rapidjson::UTF8<>> is(text);
  depth_capped h{doc_};
  bool ok = false;
  auto generate = [&](parsed_payload::document&) {
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, pool> reader(&stack_pool_);
    constexpr unsigned flags = rapidjson::kParseInsituFlag;
    ok = !reader.Parse<flags>(is, h).IsError();
    // A NUL inside the payload ends the in-situ text early: not JSON then.
    ok = ok && is.Tell() == payload.size();
    return ok;
  };
  doc_.Populate(generate);
  state_ = h.too_deep ? state::too_deep : ok ? state::json : state::not_json;
}

// --- program

expected<program, sql_error> program::compile(std::string_view sql) {
  auto r = detail::parse_statement(sql);
  if (!r)
    return unexpected<sql_error>{r.error()};
  return program(std::move(*r));
}

const std::string& program::topic_filter() const {
  return impl_->topic;
}
bool program::needs_json() const {
  return impl_->needs_json;
}
const std::vector<std::string>& program::output_names() const {
  return impl_->names;
}
bool program::star() const {
  return impl_->open;
}

namespace {

eval_result failed(std::string why) {
  return {eval_status::failed, {}, std::move(why)};
}

eval_result run(const program_impl& p, const message_context& m, const parsed_payload* pl);

}  // namespace

eval_result program::evaluate(const message_context& m) const {
  if (!impl_->needs_json)
    return run(*impl_, m, nullptr);
  parsed_payload p(m.payload);
  return run(*impl_, m, &p);
}

eval_result program::evaluate(const message_context& m, const parsed_payload& pp) const {
  return run(*impl_, m, impl_->needs_json ? &pp : nullptr);
}

namespace {

eval_result run(const program_impl& p, const message_context& m, const parsed_payload* pl) {
  if (pl && pl->status() == parsed_payload::state::too_deep)
    return failed("the payload nests deeper than " + std::to_string(limits::max_payload_depth) +
                  " levels");
  const rapidjson::Value* json =
      pl && pl->status() == parsed_payload::state::json ? &pl->root() : nullptr;
  if (p.star && (json == nullptr || !json->IsObject()))
    return failed("SELECT * needs a JSON object payload");

  boost::container::small_vector<value, 8> slots(p.items.size());
  boost::container::small_vector<std::uint8_t, 8> done(p.items.size(), 0);
  detail::string_arena strings;
  detail::eval_ctx c{m, nullptr, nullptr, nullptr, nullptr, {}, false, 0, &strings};
  c.payload = json;
  c.select = &p.exprs;
  c.slots = slots.data();
  c.done = done.data();

  if (p.where) {
    auto w = p.where->eval(c);
    if (c.failed)
      return failed(std::move(c.error));
    if (w.type() != vtype::boolean) {
      if (!w.is_null())
        return failed("line " + std::to_string(p.where->line()) + ", column " +
                      std::to_string(p.where->column()) + ": WHERE needs a boolean, got " +
                      std::string(type_name(w.type())));
      return {eval_status::filtered, {}, {}};
    }
    if (!w.as_bool())
      return {eval_status::filtered, {}, {}};
  }
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (!done[i]) {
      slots[i] = p.items[i].expr->eval(c);
      done[i] = 1;
      if (c.failed)
        return failed(std::move(c.error));
    }
  }

  eval_result r{eval_status::passed, {}, {}};
  auto& out = r.output;
  if (p.star && p.items.empty()) {
    // The payload as it came, without whitespace: it parsed, so it is valid.
    auto text = m.payload;
    if (text.starts_with("\xEF\xBB\xBF"))  // a BOM the parser skipped
      text.remove_prefix(3);
    out.reserve(text.size());
    detail::append_minified(out, text);
    return r;
  }
  out.reserve(json && p.star ? m.payload.size() + 64 : 128);
  out.push_back('{');
  bool ok = true;
  bool first = true;
  auto key = [&](std::string_view k) {
    if (!first)
      out.push_back(',');
    first = false;
    ok = detail::append_string(out, k);
    out.push_back(':');
    return ok;
  };
  // Names the SELECT items give, so that `*` leaves those payload members out.
  auto named = [&](std::string_view k) {
    for (std::size_t i = 0; i < p.items.size(); ++i) {
      if (p.items[i].spread) {
        if (slots[i].type() == vtype::object && !slots[i].get(k).is_missing())
          return true;
      } else if (p.items[i].name == k) {
        return true;
      }
    }
    return false;
  };
  if (p.star) {
    for (auto& mem : json->GetObject()) {
      std::string_view k(mem.name.GetString(), mem.name.GetStringLength());
      if (!ok)
        break;
      if (named(k))
        continue;
      ok = key(k) && detail::append_json_value(out, mem.value);
    }
  }
  for (std::size_t i = 0; i < p.items.size() && ok; ++i) {
    const auto& v = slots[i];
    if (p.items[i].spread) {
      v.for_each_member([&](std::string_view k, const value& e) {
        if (ok && !e.is_missing())
          ok = key(k) && detail::write_value(out, e);
      });
      continue;
    }
    if (v.is_missing())
      continue;
    const auto& k = p.items[i].key;
    out.append(k.data() + (first ? 1 : 0), k.size() - (first ? 1 : 0));
    first = false;
    ok = detail::write_value(out, v);
  }
  out.push_back('}');
  if (!ok)
    return failed("the output holds a string that is not valid UTF-8 (use to_base64 or to_hex)");
  return r;
}

}  // namespace

}  // namespace iotb::rules
