// The recursive-descent parser: tokens → typed nodes, with the limits of
// `limits` (depth, node count, list sizes) and the compile-time checks
// (function arity and argument types, operand types where known).
//
//   statement := SELECT items FROM topic [WHERE expr] [;]
//   items     := item (',' item)*          item := '*' | expr [AS name]
//   expr      := or ;  or := and (OR and)* ;  and := not (AND not)*
//   not       := NOT not | predicate
//   predicate := sum [cmp sum | [NOT] IN (list) | [NOT] LIKE sum [ESCAPE 'c']
//                     | IS [NOT] NULL]
//   sum       := product (('+'|'-') product)* ;  product := unary (('*'|'/'|'%') unary)*
//   unary     := ('-'|'+') unary | postfix ;  postfix := primary ('.' name | '[' expr ']')*
//   primary   := literal | name | name '(' args ')' | '(' expr ')' | CASE … END
//              | '{' key ':' expr, … '}' | '[' expr, … ']'

#include <charconv>
#include <cmath>
#include <limits>

#include "broker/mqtt/codec.hpp"
#include "broker/rules/compiled.hpp"
#include "broker/rules/functions.hpp"
#include "broker/rules/json_out.hpp"
#include "broker/rules/lexer.hpp"

namespace iotb::rules::detail {

namespace {

std::string describe_token(const token& t) {
  switch (t.kind) {
    case tok::end:
      return "the end of the statement";
    case tok::name:
      return (is_keyword(t.text) ? "keyword " : "name ") + t.text;
    case tok::quoted_name:
      return "quoted name " + std::string(1, t.quote) + t.text + std::string(1, t.quote);
    case tok::string:
      return "string '" + t.text.substr(0, 40) + "'";
    case tok::number:
      return "number " + t.text;
    case tok::error:
      return t.text;
    default:
      break;
  }
  static constexpr std::string_view symbols[] = {
      "",    "",    "",    "",    "",    "','", "'.'", "'('", "')'",  "'['", "']'",  "'{'", "'}'",
      "':'", "';'", "'*'", "'+'", "'-'", "'/'", "'%'", "'='", "'!='", "'<'", "'<='", "'>'", "'>='"};
  return std::string(symbols[static_cast<int>(t.kind)]);
}

class parser {
 public:
  explicit parser(std::string_view sql) : lex_(sql) { cur_ = lex_.next(); }

  std::shared_ptr<program_impl> statement();
  std::optional<sql_error> error;

 private:
  // --- tokens
  void next() {
    prev_end_ = cur_.end;
    cur_ = lex_.next();
    if (cur_.kind == tok::error)
      fail_at(cur_, cur_.text);
  }
  bool at(tok k) const { return cur_.kind == k; }
  bool at_kw(std::string_view kw) const { return cur_.kind == tok::name && iequals(cur_.text, kw); }
  bool accept(tok k) {
    if (!at(k))
      return false;
    next();
    return true;
  }
  bool accept_kw(std::string_view kw) {
    if (!at_kw(kw))
      return false;
    next();
    return true;
  }
  bool expect(tok k, std::string_view what) {
    if (accept(k))
      return true;
    fail_at(cur_, "expected " + std::string(what) + ", got " + describe_token(cur_));
    return false;
  }
  bool expect_kw(std::string_view kw) {
    if (accept_kw(kw))
      return true;
    fail_at(cur_, "expected " + std::string(kw) + ", got " + describe_token(cur_));
    return false;
  }
  bool failed() const { return error.has_value(); }
  void fail(std::uint32_t line, std::uint32_t col, std::string msg) {
    if (!error)
      error = sql_error{line, col, std::move(msg)};
  }
  void fail_at(const token& t, std::string msg) { fail(t.line, t.column, std::move(msg)); }
  void fail_at(const node& n, std::string msg) { fail(n.line(), n.column(), std::move(msg)); }

  // --- limits
  struct depth_guard {
    parser& p;
    explicit depth_guard(parser& pp) : p(pp) {
      if (++p.depth_ > limits::max_depth)
        p.fail_at(p.cur_,
                  "expression nested deeper than " + std::to_string(limits::max_depth) + " levels");
    }
    ~depth_guard() { --p.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
  };
  template <class T, class... A>
  node_ptr make(A&&... a) {
    if (++nodes_ > limits::max_nodes)
      fail_at(cur_, "more than " + std::to_string(limits::max_nodes) +
                        " expression nodes: simplify the statement");
    return std::make_unique<T>(std::forward<A>(a)...);
  }

  // --- grammar
  void select_list(program_impl& p);
  std::string item_name(const node& n, std::size_t begin);
  void from(program_impl& p);
  node_ptr expr();
  node_ptr or_expr();
  node_ptr and_expr();
  node_ptr not_expr();
  node_ptr predicate();
  node_ptr sum();
  node_ptr product();
  node_ptr unary();
  node_ptr postfix(node_ptr base);
  node_ptr primary();
  node_ptr number_literal();
  node_ptr string_literal(std::string text, const token& at);
  node_ptr case_expr();
  node_ptr object_literal();
  node_ptr array_literal();
  node_ptr call(const token& name);
  node_ptr field(std::vector<step> path, const token& at);
  bool check_bool(const node& n, std::string_view where);

  lexer lex_;
  token cur_;
  std::size_t prev_end_ = 0;
  std::size_t depth_ = 0;
  std::size_t nodes_ = 0;
  bool in_where_ = false;
  bool needs_json_ = false;
  bool open_ = false;
  const program_impl* prog_ = nullptr;
};

std::shared_ptr<program_impl> parser::statement() {
  auto p = std::make_shared<program_impl>();
  prog_ = p.get();
  if (!failed())
    expect_kw("SELECT");
  if (!failed())
    select_list(*p);
  if (!failed())
    expect_kw("FROM");
  if (!failed())
    from(*p);
  if (!failed() && accept_kw("WHERE")) {
    in_where_ = true;
    p->where = expr();
    if (!failed())
      check_bool(*p->where, "WHERE");
  }
  if (!failed())
    accept(tok::semicolon);
  if (!failed() && !at(tok::end))
    fail_at(cur_, "unexpected " + describe_token(cur_) + " after the statement");
  if (failed())
    return nullptr;
  for (auto& it : p->items) {
    p->exprs.push_back(it.expr.get());
    if (!it.spread) {
      it.key = ",";
      if (!append_string(it.key, it.name)) {
        fail(1, 1, "an output name is not valid UTF-8");
        return nullptr;
      }
      it.key.push_back(':');
    }
  }
  p->needs_json = needs_json_ || p->star;
  p->open = open_ || p->star;
  return p;
}

void parser::select_list(program_impl& p) {
  do {
    if (p.items.size() >= limits::max_select_items) {
      fail_at(cur_, "more than " + std::to_string(limits::max_select_items) + " SELECT items");
      return;
    }
    if (at(tok::star)) {
      if (p.star) {
        fail_at(cur_, "* appears twice in SELECT");
        return;
      }
      p.star = true;
      next();
      continue;
    }
    const token first = cur_;
    auto e = expr();
    if (failed())
      return;
    select_item item;
    if (accept_kw("AS")) {
      if (!at(tok::name) && !at(tok::quoted_name)) {
        fail_at(cur_, "expected a name after AS, got " + describe_token(cur_));
        return;
      }
      if (at(tok::name) && is_keyword(cur_.text)) {
        fail_at(cur_, "'" + cur_.text + "' is a keyword: quote it as `" + cur_.text + "`");
        return;
      }
      item.name = cur_.text;
      next();
    } else {
      auto* c = dynamic_cast<const call_node*>(e.get());
      if (c && c->fn().name == "thingPropertyFlatMap") {
        item.spread = true;
        if (c->args().empty())
          open_ = true;
        for (auto& a : c->args())
          p.names.emplace_back(a->constant()->as_string());
      } else {
        item.name = item_name(*e, first.offset);
      }
    }
    if (!item.spread) {
      for (auto& other : p.items) {
        if (!other.spread && other.name == item.name) {
          fail(first.line, first.column,
               "two SELECT items are named '" + item.name + "': give one an AS name");
          return;
        }
      }
      if (item.name.empty()) {
        fail(first.line, first.column, "an output name cannot be empty");
        return;
      }
      p.names.push_back(item.name);
    }
    item.expr = std::move(e);
    p.items.push_back(std::move(item));
  } while (!failed() && accept(tok::comma));
}

std::string parser::item_name(const node& n, std::size_t begin) {
  if (auto* f = dynamic_cast<const field_node*>(&n)) {
    for (auto it = f->path().rbegin(); it != f->path().rend(); ++it)
      if (!it->is_index)
        return it->name;
  }
  if (auto* c = dynamic_cast<const call_node*>(&n); c && c->args().empty())
    return std::string(c->fn().name);
  // Anything else: its SQL text, as written.
  auto text = lex_.text().substr(begin, prev_end_ - begin);
  return std::string(text);
}

void parser::from(program_impl& p) {
  if (!at(tok::quoted_name) && !at(tok::string)) {
    fail_at(cur_, "FROM needs a topic filter in double quotes, e.g. FROM \"/+/+/user/update\"");
    return;
  }
  const auto& t = cur_.text;
  if (t.empty() || !mqtt::valid_topic_filter(t)) {
    fail_at(cur_, "\"" + t + "\" is not a valid MQTT topic filter ('+' and '#' must fill a " +
                      "whole level, '#' only at the end)");
    return;
  }
  if (t.starts_with("$share/") || t.starts_with("$queue/")) {
    fail_at(cur_, "a rule cannot take a shared subscription ($share/, $queue/)");
    return;
  }
  p.topic = t;
  next();
}

bool parser::check_bool(const node& n, std::string_view where) {
  if ((n.type() & (t_bool | t_null)) == 0) {
    fail_at(n, std::string(where) + " needs a boolean condition, got " + describe(n.type()));
    return false;
  }
  return true;
}

node_ptr parser::expr() {
  depth_guard g(*this);
  if (failed())
    return nullptr;
  return or_expr();
}

node_ptr parser::or_expr() {
  auto first = and_expr();
  if (failed() || !at_kw("OR"))
    return first;
  auto l = first->line(), c = first->column();
  std::vector<node_ptr> xs;
  xs.push_back(std::move(first));
  while (!failed() && accept_kw("OR")) {
    xs.push_back(and_expr());
    if (failed())
      return nullptr;
  }
  for (auto& x : xs)
    if (!check_bool(*x, "OR"))
      return nullptr;
  return make<logic_node>(l, c, false, std::move(xs));
}

node_ptr parser::and_expr() {
  auto first = not_expr();
  if (failed() || !at_kw("AND"))
    return first;
  auto l = first->line(), c = first->column();
  std::vector<node_ptr> xs;
  xs.push_back(std::move(first));
  while (!failed() && accept_kw("AND")) {
    xs.push_back(not_expr());
    if (failed())
      return nullptr;
  }
  for (auto& x : xs)
    if (!check_bool(*x, "AND"))
      return nullptr;
  return make<logic_node>(l, c, true, std::move(xs));
}

node_ptr parser::not_expr() {
  if (at_kw("NOT")) {
    const token t = cur_;
    depth_guard g(*this);
    next();
    auto x = not_expr();
    if (failed() || !check_bool(*x, "NOT"))
      return nullptr;
    return make<not_node>(t.line, t.column, std::move(x));
  }
  return predicate();
}

node_ptr parser::predicate() {
  auto a = sum();
  if (failed())
    return nullptr;
  const token op = cur_;
  cmp_op cop{};
  bool is_cmp = true;
  switch (cur_.kind) {
    case tok::eq:
      cop = cmp_op::eq;
      break;
    case tok::ne:
      cop = cmp_op::ne;
      break;
    case tok::lt:
      cop = cmp_op::lt;
      break;
    case tok::le:
      cop = cmp_op::le;
      break;
    case tok::gt:
      cop = cmp_op::gt;
      break;
    case tok::ge:
      cop = cmp_op::ge;
      break;
    default:
      is_cmp = false;
  }
  if (is_cmp) {
    next();
    auto b = sum();
    if (failed())
      return nullptr;
    return make<compare_node>(cop, std::move(a), std::move(b), op.line, op.column);
  }
  if (accept_kw("IS")) {
    bool negated = accept_kw("NOT");
    if (!expect_kw("NULL"))
      return nullptr;
    return make<is_null_node>(op.line, op.column, std::move(a), negated);
  }
  bool negated = false;
  if (at_kw("NOT")) {
    negated = true;
    next();
    if (!at_kw("IN") && !at_kw("LIKE")) {
      fail_at(cur_, "expected IN or LIKE after NOT, got " + describe_token(cur_));
      return nullptr;
    }
  }
  if (accept_kw("IN")) {
    if (!expect(tok::lparen, "'(' after IN"))
      return nullptr;
    std::vector<node_ptr> list;
    do {
      if (list.size() >= limits::max_in_list) {
        fail_at(cur_, "IN list longer than " + std::to_string(limits::max_in_list) + " items");
        return nullptr;
      }
      list.push_back(expr());
      if (failed())
        return nullptr;
    } while (accept(tok::comma));
    if (!expect(tok::rparen, "')' closing the IN list"))
      return nullptr;
    return make<in_node>(op.line, op.column, std::move(a), std::move(list), negated);
  }
  if (accept_kw("LIKE")) {
    if ((a->type() & (t_str | t_null)) == 0) {
      fail_at(*a, "LIKE needs a string on its left, got " + describe(a->type()));
      return nullptr;
    }
    auto p = sum();
    if (failed())
      return nullptr;
    if ((p->type() & (t_str | t_null)) == 0) {
      fail_at(*p, "a LIKE pattern must be a string, got " + describe(p->type()));
      return nullptr;
    }
    char esc = '\\';
    if (accept_kw("ESCAPE")) {
      if (!at(tok::string) || cur_.text.size() != 1) {
        fail_at(cur_, "ESCAPE takes one character in single quotes, e.g. ESCAPE '!'");
        return nullptr;
      }
      esc = cur_.text[0];
      next();
    }
    return make<like_node>(op.line, op.column, std::move(a), std::move(p), esc, negated);
  }
  return a;
}

namespace {

/// The static type of `a op b`, or 0 when it can never work.
type_mask arith_type(arith_op op, type_mask a, type_mask b) {
  auto num_ok = (a & (t_num | t_null)) && (b & (t_num | t_null));
  auto str_ok = op == arith_op::add && (a & (t_str | t_null)) && (b & (t_str | t_null));
  if (a == t_null || b == t_null)
    return t_null;
  if (!num_ok && !str_ok)
    return 0;
  type_mask t = t_null;
  if (num_ok)
    t |= ((a | b) & t_real) || op == arith_op::div ? t_num : (t_int | t_real);
  if (str_ok)
    t |= t_str;
  return t;
}

}  // namespace

node_ptr parser::sum() {
  auto first = product();
  if (failed() || (!at(tok::plus) && !at(tok::minus)))
    return first;
  std::vector<arith_node::term> rest;
  type_mask t = first->type();
  while (at(tok::plus) || at(tok::minus)) {
    const token op = cur_;
    auto aop = at(tok::plus) ? arith_op::add : arith_op::sub;
    next();
    auto x = product();
    if (failed())
      return nullptr;
    auto nt = arith_type(aop, t, x->type());
    if (nt == 0) {
      fail_at(op, std::string("cannot ") + (aop == arith_op::add ? "add " : "subtract ") +
                      describe(x->type()) + (aop == arith_op::add ? " to " : " from ") +
                      describe(t));
      return nullptr;
    }
    t = nt;
    rest.push_back({aop, std::move(x)});
  }
  return make<arith_node>(std::move(first), std::move(rest), t);
}

node_ptr parser::product() {
  auto first = unary();
  if (failed() || (!at(tok::star) && !at(tok::slash) && !at(tok::percent)))
    return first;
  std::vector<arith_node::term> rest;
  type_mask t = first->type();
  while (at(tok::star) || at(tok::slash) || at(tok::percent)) {
    const token op = cur_;
    auto aop = at(tok::star) ? arith_op::mul : at(tok::slash) ? arith_op::div : arith_op::mod;
    next();
    auto x = unary();
    if (failed())
      return nullptr;
    auto nt = arith_type(aop, t, x->type());
    if (nt == 0) {
      fail_at(op, "arithmetic needs numbers, got " + describe(t) + " and " + describe(x->type()));
      return nullptr;
    }
    t = nt;
    rest.push_back({aop, std::move(x)});
  }
  return make<arith_node>(std::move(first), std::move(rest), t);
}

node_ptr parser::unary() {
  if (at(tok::minus) || at(tok::plus)) {
    const token t = cur_;
    depth_guard g(*this);
    next();
    if (failed())
      return nullptr;
    auto x = unary();
    if (failed())
      return nullptr;
    if ((x->type() & (t_num | t_null)) == 0) {
      fail_at(t, "a sign needs a number, got " + describe(x->type()));
      return nullptr;
    }
    if (t.kind == tok::plus)
      return x;
    if (auto* k = x->constant(); k && k->is_number()) {  // fold -literal
      value v =
          k->type() == vtype::integer && k->as_int() != std::numeric_limits<std::int64_t>::min()
              ? value(-k->as_int())
              : value(-k->as_real());
      return make<literal_node>(t.line, t.column, v, nullptr);
    }
    return make<neg_node>(t.line, t.column, std::move(x));
  }
  return primary();
}

node_ptr parser::postfix(node_ptr base) {
  if (!base || failed())
    return nullptr;
  // Static steps join a field's path; after anything else they make an
  // access_node; a computed index makes an index_node.
  std::vector<step> path;
  auto flush = [&]() {
    if (!path.empty() && base) {
      base = make<access_node>(std::move(base), std::move(path));
      path.clear();
    }
  };
  for (;;) {
    if (accept(tok::dot)) {
      if (!at(tok::name) && !at(tok::quoted_name)) {
        fail_at(cur_, "expected a field name after '.', got " + describe_token(cur_));
        return nullptr;
      }
      path.push_back({cur_.text, 0, false});
      next();
    } else if (at(tok::lbracket)) {
      next();
      bool neg = false;
      if (at(tok::minus)) {  // a[-1]
        neg = true;
        next();
        if (!at(tok::number)) {
          fail_at(cur_, "expected an index after '[-'");
          return nullptr;
        }
      }
      if ((at(tok::number) || at(tok::string)) && !failed()) {
        token t = cur_;
        next();
        if (at(tok::rbracket)) {
          next();
          if (t.kind == tok::string) {
            path.push_back({t.text, 0, false});
          } else {
            std::int64_t i = 0;
            auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), i);
            if (r.ec != std::errc() || r.ptr != t.text.data() + t.text.size()) {
              fail_at(t, "an array index must be an integer");
              return nullptr;
            }
            path.push_back({{}, neg ? -i : i, true});
          }
          continue;
        }
        fail_at(cur_, "a computed index must be written as [(expression)]");
        return nullptr;
      }
      auto ix = expr();
      if (failed() || !expect(tok::rbracket, "']'"))
        return nullptr;
      flush();
      base = make<index_node>(std::move(base), std::move(ix));
    } else {
      break;
    }
    if (failed())
      return nullptr;
  }
  flush();
  return base;
}

node_ptr parser::field(std::vector<step> path, const token& at) {
  // In WHERE, a name that a SELECT item is called by is that item.
  if (in_where_ && !path.empty() && !path[0].is_index) {
    for (std::size_t i = 0; i < prog_->items.size(); ++i) {
      auto& it = prog_->items[i];
      if (!it.spread && it.name == path[0].name) {
        path.erase(path.begin());
        auto t = path.empty() ? it.expr->type() : t_any;
        return make<alias_node>(at.line, at.column, t, i, std::move(path));
      }
    }
  }
  needs_json_ = true;
  return make<field_node>(at.line, at.column, std::move(path));
}

node_ptr parser::primary() {
  const token t = cur_;
  switch (t.kind) {
    case tok::number:
      return postfix(number_literal());
    case tok::string:
      next();
      return postfix(string_literal(t.text, t));
    case tok::lparen: {
      next();
      auto x = expr();
      if (failed() || !expect(tok::rparen, "')'"))
        return nullptr;
      return postfix(std::move(x));
    }
    case tok::lbrace:
      return postfix(object_literal());
    case tok::lbracket:
      return postfix(array_literal());
    case tok::quoted_name:
    case tok::name: {
      if (t.kind == tok::name) {
        if (iequals(t.text, "NULL") || iequals(t.text, "TRUE") || iequals(t.text, "FALSE")) {
          next();
          value v = iequals(t.text, "NULL") ? value() : value(iequals(t.text, "TRUE"));
          return make<literal_node>(t.line, t.column, v, nullptr);
        }
        if (iequals(t.text, "CASE"))
          return postfix(case_expr());
        if (is_keyword(t.text)) {
          fail_at(t, "expected an expression, got keyword " + t.text +
                         " (a field of that name needs quotes: `" + t.text + "`)");
          return nullptr;
        }
      }
      next();
      if (t.kind == tok::name && at(tok::lparen))
        return postfix(call(t));
      // A field path: collect its static steps, then resolve it.
      std::vector<step> path{{t.text, 0, false}};
      node_ptr base;
      for (;;) {
        if (at(tok::dot)) {
          next();
          if (!at(tok::name) && !at(tok::quoted_name)) {
            fail_at(cur_, "expected a field name after '.', got " + describe_token(cur_));
            return nullptr;
          }
          path.push_back({cur_.text, 0, false});
          next();
          continue;
        }
        break;
      }
      base = field(std::move(path), t);
      if (failed())
        return nullptr;
      if (!at(tok::lbracket))
        return base;
      // Indexes (and more steps) after the name chain.
      return postfix(std::move(base));
    }
    default:
      fail_at(t, "expected an expression, got " + describe_token(t));
      return nullptr;
  }
}

node_ptr parser::number_literal() {
  const token t = cur_;
  next();
  const auto& s = t.text;
  value v;
  if (s.size() > 2 && (s[1] == 'x' || s[1] == 'X')) {
    std::uint64_t u = 0;
    auto r = std::from_chars(s.data() + 2, s.data() + s.size(), u, 16);
    if (r.ec != std::errc() ||
        u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail_at(t, "hexadecimal number out of range");
      return nullptr;
    }
    v = value(static_cast<std::int64_t>(u));
  } else if (!parse_number(s, v)) {
    // ".5" and "5." are fine in SQL but not in JSON's grammar.
    double d = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (r.ec != std::errc() || !std::isfinite(d)) {
      fail_at(t, "number out of range");
      return nullptr;
    }
    v = value(d);
  }
  return make<literal_node>(t.line, t.column, v, nullptr);
}

node_ptr parser::string_literal(std::string text, const token& at) {
  auto owned = std::make_shared<const std::string>(std::move(text));
  auto v = value::view(*owned);
  return make<literal_node>(at.line, at.column, v, std::move(owned));
}

node_ptr parser::case_expr() {
  const token t = cur_;
  depth_guard g(*this);
  next();  // CASE
  node_ptr subject;
  if (at_kw("END")) {
    fail_at(cur_, "CASE needs at least one WHEN … THEN …");
    return nullptr;
  }
  if (!at_kw("WHEN")) {
    subject = expr();
    if (failed())
      return nullptr;
  }
  std::vector<case_node::branch> branches;
  type_mask rt = 0;
  while (accept_kw("WHEN")) {
    auto w = expr();
    if (failed())
      return nullptr;
    if (!subject && !check_bool(*w, "WHEN"))
      return nullptr;
    if (!expect_kw("THEN"))
      return nullptr;
    auto th = expr();
    if (failed())
      return nullptr;
    rt |= th->type();
    branches.push_back({std::move(w), std::move(th)});
  }
  if (branches.empty()) {
    fail_at(cur_, "CASE needs at least one WHEN … THEN …");
    return nullptr;
  }
  node_ptr otherwise;
  if (accept_kw("ELSE")) {
    otherwise = expr();
    if (failed())
      return nullptr;
    rt |= otherwise->type();
  } else {
    rt |= t_null;
  }
  if (!expect_kw("END"))
    return nullptr;
  return make<case_node>(t.line, t.column, rt, std::move(subject), std::move(branches),
                         std::move(otherwise));
}

node_ptr parser::object_literal() {
  const token t = cur_;
  depth_guard g(*this);
  next();  // {
  std::vector<object_node::entry> entries;
  if (!at(tok::rbrace)) {
    do {
      if (!at(tok::string) && !at(tok::quoted_name) && !at(tok::name)) {
        fail_at(cur_, "expected a key (\"name\", 'name' or name), got " + describe_token(cur_));
        return nullptr;
      }
      std::string key = cur_.text;
      for (auto& e : entries)
        if (e.key == key) {
          fail_at(cur_, "key \"" + key + "\" appears twice in an object");
          return nullptr;
        }
      next();
      if (!expect(tok::colon, "':' after an object key"))
        return nullptr;
      auto x = expr();
      if (failed())
        return nullptr;
      entries.push_back({std::move(key), std::move(x)});
    } while (accept(tok::comma));
  }
  if (!expect(tok::rbrace, "'}' or ','"))
    return nullptr;
  return make<object_node>(t.line, t.column, std::move(entries));
}

node_ptr parser::array_literal() {
  const token t = cur_;
  depth_guard g(*this);
  next();  // [
  std::vector<node_ptr> items;
  if (!at(tok::rbracket)) {
    do {
      items.push_back(expr());
      if (failed())
        return nullptr;
    } while (accept(tok::comma));
  }
  if (!expect(tok::rbracket, "']' or ','"))
    return nullptr;
  return make<array_node>(t.line, t.column, std::move(items));
}

node_ptr parser::call(const token& name) {
  const function_def* f = find_function(name.text);
  if (!f) {
    fail_at(name, "unknown function " + name.text + "()");
    return nullptr;
  }
  depth_guard g(*this);
  next();  // (
  std::vector<node_ptr> args;
  const bool names_only = f->name == "thingPropertyFlatMap";
  if (!at(tok::rparen)) {
    do {
      if (args.size() >= limits::max_args) {
        fail_at(cur_, "more than " + std::to_string(limits::max_args) + " arguments");
        return nullptr;
      }
      if (names_only) {
        // Property identifiers, bare or quoted: names, not fields.
        if (!at(tok::name) && !at(tok::quoted_name) && !at(tok::string)) {
          fail_at(cur_,
                  "thingPropertyFlatMap takes property identifiers, got " + describe_token(cur_));
          return nullptr;
        }
        const token a = cur_;
        next();
        args.push_back(string_literal(a.text, a));
      } else {
        args.push_back(expr());
      }
      if (failed())
        return nullptr;
    } while (accept(tok::comma));
  }
  if (!expect(tok::rparen, "')' or ','"))
    return nullptr;
  const std::size_t n = args.size();
  const std::size_t max = f->max_args == variadic ? limits::max_args : f->max_args;
  if (n < f->min_args || n > max) {
    std::string want = f->min_args == max ? std::to_string(max)
                       : f->max_args == variadic
                           ? "at least " + std::to_string(f->min_args)
                           : std::to_string(f->min_args) + " to " + std::to_string(max);
    fail_at(name, std::string(f->name) + "() takes " + want +
                      (max == 1 && f->min_args == 1 ? " argument" : " arguments") + ", got " +
                      std::to_string(n));
    return nullptr;
  }
  for (std::size_t i = 0; i < n; ++i) {
    type_mask want = f->arg_types[std::min<std::size_t>(i, f->arg_types.size() - 1)];
    type_mask got = args[i]->type();
    if (got != t_null && (got & want) == 0) {
      fail_at(*args[i], std::string(f->name) + "(): argument " + std::to_string(i + 1) +
                            " must be " + describe(want) + ", got " + describe(got));
      return nullptr;
    }
  }
  if (f->reads_json)
    needs_json_ = true;
  auto c = std::make_unique<call_node>(name.line, name.column, *f, std::move(args));
  if (++nodes_ > limits::max_nodes) {
    fail_at(name, "more than " + std::to_string(limits::max_nodes) + " expression nodes");
    return nullptr;
  }
  if (f->prepare) {
    sql_error e;
    if (!f->prepare(*c, e)) {
      fail(e.line, e.column, std::move(e.message));
      return nullptr;
    }
  }
  if (c->reads_json)
    needs_json_ = true;
  return c;
}

}  // namespace

expected<std::shared_ptr<program_impl>, sql_error> parse_statement(std::string_view sql) {
  if (sql.size() > limits::max_sql_bytes)
    return unexpected<sql_error>{sql_error{
        1, 1, "statement longer than " + std::to_string(limits::max_sql_bytes) + " bytes"}};
  parser p(sql);
  auto prog = p.statement();
  if (p.error)
    return unexpected<sql_error>{std::move(*p.error)};
  prog->sql = std::string(sql);
  return prog;
}

}  // namespace iotb::rules::detail
