#include "broker/rules/lexer.hpp"

#include <array>
#include <cctype>

namespace iotb::rules::detail {

bool iequals(std::string_view name, std::string_view kw) noexcept {
  if (name.size() != kw.size())
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char a = name[i], b = kw[i];
    if (a >= 'A' && a <= 'Z')
      a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = static_cast<char>(b - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}

bool is_keyword(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 19> words{
      "select", "from", "where", "as",   "and",  "or",   "not",  "in",  "like",  "is",
      "null",   "true", "false", "case", "when", "then", "else", "end", "escape"};
  for (auto w : words)
    if (iequals(name, w))
      return true;
  return false;
}

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

void lexer::advance(std::size_t n) {
  for (std::size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
    auto c = static_cast<unsigned char>(s_[i_]);
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((c & 0xC0) != 0x80) {  // count characters, not UTF-8 continuation bytes
      ++column_;
    }
  }
}

void lexer::skip_space_and_comments(token& err) {
  while (i_ < s_.size()) {
    char c = s_[i_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      advance();
    } else if (c == '-' && i_ + 1 < s_.size() && s_[i_ + 1] == '-') {
      while (i_ < s_.size() && s_[i_] != '\n')
        advance();
    } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
      auto line = line_, col = column_;
      advance(2);
      while (i_ < s_.size() && !(s_[i_] == '*' && i_ + 1 < s_.size() && s_[i_ + 1] == '/'))
        advance();
      if (i_ >= s_.size()) {
        err = {tok::error, "unterminated comment", line, col};
        return;
      }
      advance(2);
    } else {
      return;
    }
  }
}

token lexer::next() {
  auto t = scan();
  t.end = i_;
  return t;
}

token lexer::scan() {
  token t;
  skip_space_and_comments(t);
  if (t.kind == tok::error)
    return t;
  t.line = line_;
  t.column = column_;
  t.offset = i_;
  if (i_ >= s_.size())
    return t;  // tok::end
  char c = s_[i_];
  auto one = [&](tok k, std::size_t len = 1) {
    t.kind = k;
    advance(len);
    return t;
  };
  char c2 = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
  if (name_start(c)) {
    std::size_t j = i_;
    while (j < s_.size() && name_char(s_[j]))
      ++j;
    t.kind = tok::name;
    t.text.assign(s_.substr(i_, j - i_));
    advance(j - i_);
    return t;
  }
  if (digit(c) || (c == '.' && digit(c2))) {
    std::size_t j = i_;
    if (c == '0' && (c2 == 'x' || c2 == 'X')) {
      j += 2;
      while (j < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[j])))
        ++j;
    } else {
      while (j < s_.size() && digit(s_[j]))
        ++j;
      if (j < s_.size() && s_[j] == '.') {
        ++j;
        while (j < s_.size() && digit(s_[j]))
          ++j;
      }
      if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s_.size() && (s_[k] == '+' || s_[k] == '-'))
          ++k;
        if (k < s_.size() && digit(s_[k])) {
          j = k;
          while (j < s_.size() && digit(s_[j]))
            ++j;
        }
      }
    }
    if (j < s_.size() && name_char(s_[j])) {
      t.kind = tok::error;
      t.text = "malformed number";
      return t;
    }
    if (j - i_ > limits::max_number_chars) {
      t.kind = tok::error;
      t.text =
          "number literal longer than " + std::to_string(limits::max_number_chars) + " characters";
      return t;
    }
    t.kind = tok::number;
    t.text.assign(s_.substr(i_, j - i_));
    advance(j - i_);
    return t;
  }
  if (c == '\'' || c == '"' || c == '`') {
    const char q = c;
    std::string text;
    std::size_t j = i_ + 1;
    for (;;) {
      if (j >= s_.size()) {
        t.kind = tok::error;
        t.text = q == '\'' ? "unterminated string literal" : "unterminated quoted name";
        return t;
      }
      if (s_[j] == q) {
        if (j + 1 < s_.size() && s_[j + 1] == q) {  // doubled quote
          text.push_back(q);
          j += 2;
          continue;
        }
        break;
      }
      text.push_back(s_[j++]);
      if (text.size() > limits::max_literal_bytes) {
        t.kind = tok::error;
        t.text = "literal longer than " + std::to_string(limits::max_literal_bytes) + " bytes";
        return t;
      }
    }
    t.kind = q == '\'' ? tok::string : tok::quoted_name;
    t.quote = q;
    t.text = std::move(text);
    advance(j + 1 - i_);
    return t;
  }
  switch (c) {
    case ',':
      return one(tok::comma);
    case '.':
      return one(tok::dot);
    case '(':
      return one(tok::lparen);
    case ')':
      return one(tok::rparen);
    case '[':
      return one(tok::lbracket);
    case ']':
      return one(tok::rbracket);
    case '{':
      return one(tok::lbrace);
    case '}':
      return one(tok::rbrace);
    case ':':
      return one(tok::colon);
    case ';':
      return one(tok::semicolon);
    case '*':
      return one(tok::star);
    case '+':
      return one(tok::plus);
    case '-':
      return one(tok::minus);
    case '/':
      return one(tok::slash);
    case '%':
      return one(tok::percent);
    case '=':
      return one(tok::eq, c2 == '=' ? 2 : 1);
    case '!':
      if (c2 == '=')
        return one(tok::ne, 2);
      break;
    case '<':
      if (c2 == '>')
        return one(tok::ne, 2);
      if (c2 == '=')
        return one(tok::le, 2);
      return one(tok::lt);
    case '>':
      if (c2 == '=')
        return one(tok::ge, 2);
      return one(tok::gt);
    default:
      break;
  }
  t.kind = tok::error;
  auto uc = static_cast<unsigned char>(c);
  if (uc >= 0x20 && uc < 0x7f)
    t.text = std::string("unexpected character '") + c + "'";
  else
    t.text = "unexpected character (byte " + std::to_string(uc) + ")";
  return t;
}

}  // namespace iotb::rules::detail
