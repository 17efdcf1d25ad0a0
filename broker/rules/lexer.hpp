#pragma once
/// @file
/// Tokens of the rules language. Internal to broker/rules.
///
/// - names: `[A-Za-z_][A-Za-z0-9_]*`; keywords among them match
///   case-insensitively; `"quoted"` and `` `quoted` `` names (a doubled
///   quote inside stands for one) for odd keys;
/// - strings: `'single quoted'` (`''` inside for a quote; no backslash
///   escapes, so LIKE patterns keep theirs);
/// - numbers: `12`, `1.5`, `.5`, `1e3`, `0x1F`;
/// - operators and punctuation; `--` comments to the end of the line and
///   `/* … */` comments.

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/rules/program.hpp"

namespace iotb::rules::detail {

enum class tok : std::uint8_t {
  end,
  name,         ///< bare name (keywords too; see `is_keyword`)
  quoted_name,  ///< "…" or `…`
  string,       ///< '…'
  number,
  comma,
  dot,
  lparen,
  rparen,
  lbracket,
  rbracket,
  lbrace,
  rbrace,
  colon,
  semicolon,
  star,
  plus,
  minus,
  slash,
  percent,
  eq,  ///< =  (== too)
  ne,  ///< != or <>
  lt,
  le,
  gt,
  ge,
  error,  ///< `text` holds the message
};

struct token {
  tok kind = tok::end;
  std::string text;  ///< name, unquoted name or string content, number text
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  char quote = 0;          ///< the quote of a quoted_name: '"' or '`'
  std::size_t offset = 0;  ///< byte offset of the token in the SQL text
  std::size_t end = 0;     ///< byte offset just past it
};

/// Splits SQL text into tokens, one at a time.
class lexer {
 public:
  explicit lexer(std::string_view sql) : s_(sql) {}
  /// The next token; `tok::error` with a message on a bad character, an
  /// unterminated string or comment, a literal over the limits.
  token next();
  /// The SQL text.
  [[nodiscard]] std::string_view text() const noexcept { return s_; }

 private:
  token scan();
  void skip_space_and_comments(token& err);
  void advance(std::size_t n = 1);
  std::string_view s_;
  std::size_t i_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
};

/// True when `name` is `kw` ignoring ASCII case.
[[nodiscard]] bool iequals(std::string_view name, std::string_view kw) noexcept;

/// True for the reserved words (which need quotes as field names).
[[nodiscard]] bool is_keyword(std::string_view name) noexcept;

}  // namespace iotb::rules::detail
