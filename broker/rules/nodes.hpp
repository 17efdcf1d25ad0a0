#pragma once
/// @file
/// The compiled form of a statement: a tree of typed nodes, each with its
/// static type (a mask of the types it can have) and its place in the SQL
/// text. Evaluation is a const walk of the tree with an `eval_ctx` per
/// evaluation; it recurses only along the tree, whose depth the parser
/// bounds (chains such as `a OR b OR …` and `a + b + …` are one n-ary
/// node, evaluated in a loop). Internal to broker/rules.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "broker/rules/program.hpp"
#include "broker/rules/value.hpp"

namespace iotb::rules::detail {

class node;
struct function_def;

/// The strings one evaluation computes (upper(), concat(), `||`…): copied
/// into a block on the evaluating thread's stack (a string that does not
/// fit gets its own heap block) and freed together when the evaluation
/// ends, so a computed string costs no allocation and its value no
/// reference count. Making one costs nothing (no resource object is built:
/// an evaluation that computes no string pays nothing). The string budget
/// (limits::max_eval_bytes) bounds the total.
class string_arena {
 public:
  string_arena() = default;
  string_arena(const string_arena&) = delete;
  string_arena& operator=(const string_arena&) = delete;

  /// A copy of `s` that lives as long as the arena.
  [[nodiscard]] std::string_view keep(std::string_view s) {
    char* p = nullptr;
    if (s.size() <= sizeof block_ - used_) {
      p = block_ + used_;
      used_ += s.size();
    } else {
      big_.push_back(std::make_unique<char[]>(s.size()));
      p = big_.back().get();
    }
    if (!s.empty())
      std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

 private:
  char block_[1024];  // deliberately not initialised
  std::size_t used_ = 0;
  std::vector<std::unique_ptr<char[]>> big_;
};

/// One evaluation: the message, the payload, the alias slots, the first
/// error, the string budget.
struct eval_ctx {
  const message_context& msg;
  const rapidjson::Value* payload = nullptr;         ///< the parsed payload (any JSON), or null
  const std::vector<const node*>* select = nullptr;  ///< SELECT expressions, for aliases
  value* slots = nullptr;                            ///< their values, once computed
  std::uint8_t* done = nullptr;                      ///< 1: slot computed
  std::string error;                                 ///< the first run-time error
  bool failed = false;
  std::size_t bytes = 0;  ///< string bytes built so far (limits::max_eval_bytes)
  /// Where computed strings live (null: each owns its memory, value::str).
  string_arena* strings = nullptr;

  /// Records the first run-time error (with the node's position); returns
  /// null so that callers can `return c.fail(n, "…")`.
  value fail(const node& n, std::string_view message);
  /// Counts `n` bytes of a computed string; false (and failed) over the
  /// per-string or per-evaluation budget.
  bool charge(const node& n, std::size_t size);
  /// A computed string as a value: charged, then kept (see keep()). Null
  /// when over budget.
  value string(const node& n, std::string_view s);
  /// A copy of `s` as a value, not charged (the caller charged for it):
  /// in `strings`, or owned by the value when there is no arena.
  [[nodiscard]] value keep(std::string_view s) const;
  /// timestamp(): the message's time, or now.
  [[nodiscard]] std::int64_t now_ms() const;
};

/// A path step: `.name` or `[index]` (negative: from the end).
struct step {
  std::string name;
  std::int64_t index = 0;
  bool is_index = false;
};

/// Follows `path` from `v`; missing as soon as a step does not exist.
[[nodiscard]] value follow(value v, std::span<const step> path);

class node {
 public:
  node(std::uint32_t line, std::uint32_t column, type_mask t)
      : line_(line), column_(column), type_(t) {}
  virtual ~node() = default;
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  [[nodiscard]] virtual value eval(eval_ctx& c) const = 0;
  /// A literal's value (constant folding of arguments), else nullptr.
  [[nodiscard]] virtual const value* constant() const { return nullptr; }

  [[nodiscard]] std::uint32_t line() const noexcept { return line_; }
  [[nodiscard]] std::uint32_t column() const noexcept { return column_; }
  [[nodiscard]] type_mask type() const noexcept { return type_; }

 private:
  std::uint32_t line_, column_;
  type_mask type_;
};

using node_ptr = std::unique_ptr<node>;

class literal_node final : public node {
 public:
  literal_node(std::uint32_t l, std::uint32_t c, value v, std::shared_ptr<const std::string> text);
  value eval(eval_ctx&) const override { return v_; }
  const value* constant() const override { return &v_; }

 private:
  std::shared_ptr<const std::string> text_;  // what a string literal's view points into
  value v_;
};

/// A payload field path: `a.b[0].c`.
class field_node final : public node {
 public:
  field_node(std::uint32_t l, std::uint32_t c, std::vector<step> path)
      : node(l, c, t_any), path_(std::move(path)) {}
  value eval(eval_ctx& c) const override;
  [[nodiscard]] const std::vector<step>& path() const { return path_; }

 private:
  std::vector<step> path_;
};

/// A SELECT alias used in WHERE, optionally followed by a path.
class alias_node final : public node {
 public:
  alias_node(std::uint32_t l, std::uint32_t c, type_mask t, std::size_t slot, std::vector<step> p)
      : node(l, c, t), slot_(slot), path_(std::move(p)) {}
  value eval(eval_ctx& c) const override;

 private:
  std::size_t slot_;
  std::vector<step> path_;
};

/// A path after any other expression: `f(x).a[1]`, `(expr).b`.
class access_node final : public node {
 public:
  access_node(node_ptr base, std::vector<step> p)
      : node(base->line(), base->column(), t_any), base_(std::move(base)), path_(std::move(p)) {}
  value eval(eval_ctx& c) const override { return follow(base_->eval(c), path_); }

 private:
  node_ptr base_;
  std::vector<step> path_;
};

/// `x[expr]` with a computed index (integer for arrays, string for objects).
class index_node final : public node {
 public:
  index_node(node_ptr base, node_ptr index)
      : node(base->line(), base->column(), t_any),
        base_(std::move(base)),
        index_(std::move(index)) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr base_, index_;
};

class neg_node final : public node {
 public:
  neg_node(std::uint32_t l, std::uint32_t c, node_ptr x)
      : node(l, c, static_cast<type_mask>(x->type() & (t_num | t_null))), x_(std::move(x)) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr x_;
};

class not_node final : public node {
 public:
  not_node(std::uint32_t l, std::uint32_t c, node_ptr x)
      : node(l, c, t_bool | t_null), x_(std::move(x)) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr x_;
};

/// `a AND b AND …` or `a OR b OR …` (three-valued).
class logic_node final : public node {
 public:
  logic_node(std::uint32_t l, std::uint32_t c, bool is_and, std::vector<node_ptr> xs)
      : node(l, c, t_bool | t_null), and_(is_and), xs_(std::move(xs)) {}
  value eval(eval_ctx& c) const override;

 private:
  bool and_;
  std::vector<node_ptr> xs_;
};

enum class arith_op : std::uint8_t { add, sub, mul, div, mod };

/// `a + b - c …` or `a * b / c …`: left to right in a loop.
class arith_node final : public node {
 public:
  struct term {
    arith_op op;
    node_ptr x;
  };
  arith_node(node_ptr first, std::vector<term> rest, type_mask t)
      : node(first->line(), first->column(), t), first_(std::move(first)), rest_(std::move(rest)) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr first_;
  std::vector<term> rest_;
};

/// One arithmetic step (shared with mod()): fails on division by zero and
/// non-numbers; `+` of two strings concatenates.
[[nodiscard]] value arith(eval_ctx& c, const node& at, arith_op op, const value& a, const value& b);

enum class cmp_op : std::uint8_t { eq, ne, lt, le, gt, ge };

class compare_node final : public node {
 public:
  compare_node(cmp_op op, node_ptr a, node_ptr b, std::uint32_t l, std::uint32_t c)
      : node(l, c, t_bool | t_null), op_(op), a_(std::move(a)), b_(std::move(b)) {}
  value eval(eval_ctx& c) const override;

 private:
  cmp_op op_;
  node_ptr a_, b_;
};

/// `x [NOT] IN (a, b, …)`.
class in_node final : public node {
 public:
  in_node(std::uint32_t l, std::uint32_t c, node_ptr x, std::vector<node_ptr> list, bool negated)
      : node(l, c, t_bool | t_null), x_(std::move(x)), list_(std::move(list)), not_(negated) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr x_;
  std::vector<node_ptr> list_;
  bool not_;
};

/// True when `s` matches the LIKE pattern (`%` any run, `_` one character,
/// `esc` makes the next character literal). Iterative, O(|s|·|p|) at worst.
[[nodiscard]] bool like_match(std::string_view s, std::string_view p, char esc) noexcept;

/// `x [NOT] LIKE pattern [ESCAPE 'c']`.
class like_node final : public node {
 public:
  like_node(std::uint32_t l, std::uint32_t c, node_ptr x, node_ptr pattern, char esc, bool negated);
  value eval(eval_ctx& c) const override;

 private:
  node_ptr x_, p_;
  char esc_;
  bool not_;
  /// A constant pattern `text%` with no other wildcard or escape: the
  /// common case, tested as a prefix.
  bool prefix_only_ = false;
  std::string prefix_;
};

/// `x IS [NOT] NULL` (true for missing fields too).
class is_null_node final : public node {
 public:
  is_null_node(std::uint32_t l, std::uint32_t c, node_ptr x, bool negated)
      : node(l, c, t_bool), x_(std::move(x)), not_(negated) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr x_;
  bool not_;
};

/// `CASE [subject] WHEN … THEN … [ELSE …] END`.
class case_node final : public node {
 public:
  struct branch {
    node_ptr when, then;
  };
  case_node(std::uint32_t l, std::uint32_t c, type_mask t, node_ptr subject,
            std::vector<branch> branches, node_ptr otherwise)
      : node(l, c, t),
        subject_(std::move(subject)),
        branches_(std::move(branches)),
        else_(std::move(otherwise)) {}
  value eval(eval_ctx& c) const override;

 private:
  node_ptr subject_;
  std::vector<branch> branches_;
  node_ptr else_;
};

class object_node final : public node {
 public:
  struct entry {
    std::string key;
    node_ptr x;
  };
  object_node(std::uint32_t l, std::uint32_t c, std::vector<entry> entries)
      : node(l, c, t_obj), entries_(std::move(entries)) {}
  value eval(eval_ctx& c) const override;

 private:
  std::vector<entry> entries_;
};

class array_node final : public node {
 public:
  array_node(std::uint32_t l, std::uint32_t c, std::vector<node_ptr> items)
      : node(l, c, t_arr), items_(std::move(items)) {}
  value eval(eval_ctx& c) const override;

 private:
  std::vector<node_ptr> items_;
};

/// A function call. `prepared` holds what the function made of literal
/// arguments at compile time (a compiled regex, a parsed format, names).
class call_node final : public node {
 public:
  call_node(std::uint32_t l, std::uint32_t c, const function_def& f, std::vector<node_ptr> args);
  value eval(eval_ctx& c) const override;

  [[nodiscard]] const function_def& fn() const noexcept { return *fn_; }
  [[nodiscard]] const std::vector<node_ptr>& args() const noexcept { return args_; }
  std::shared_ptr<const void> prepared;
  bool reads_json = false;  ///< set by a prepare step: this call parses the payload

 private:
  const function_def* fn_;
  std::vector<node_ptr> args_;
};

}  // namespace iotb::rules::detail
