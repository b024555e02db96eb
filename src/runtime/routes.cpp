#include "runtime/routes.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <regex>
#include <variant>
#include <vector>

namespace ce {

// ---- WHERE clause ------------------------------------------------------------

struct Condition {
  enum class Kind { And, Or, Not, Compare, IsDefined } kind;
  std::shared_ptr<const Condition> left, right;  // And/Or; Not uses left
  // Compare / IsDefined: an operand is a property name or a literal.
  struct Operand {
    bool is_property = false;
    std::string text;  // property name or string literal
    std::optional<double> number;
  };
  Operand a, b;
  std::string op;
};

namespace {

struct Token {
  enum Kind { Ident, String, Number, Op, LParen, RParen, End } kind;
  std::string text;
  size_t pos;
};

std::vector<Token> tokenize(const std::string& s, size_t offset) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Token::LParen : Token::RParen, std::string(1, c), offset + i});
      ++i;
    } else if (c == '\'' || c == '"') {
      size_t end = s.find(c, i + 1);
      if (end == std::string::npos)
        throw RouteError("unterminated string starting at character " +
                         std::to_string(offset + i + 1));
      out.push_back({Token::String, s.substr(i + 1, end - i - 1), offset + i});
      i = end + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Token::Number, s.substr(i, j - i), offset + i});
      i = j;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      std::string op(1, c);
      if (i + 1 < s.size() && (s[i + 1] == '=' || (c == '<' && s[i + 1] == '>'))) op += s[i + 1];
      if (op == "!")
        throw RouteError("'!' at character " + std::to_string(offset + i + 1) +
                         " must be '!=' (or use NOT)");
      out.push_back({Token::Op, op, offset + i});
      i += op.size();
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '$' || c == '_') {
      size_t j = i + 1;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                              s[j] == '.' || s[j] == '-' || s[j] == '$'))
        ++j;
      out.push_back({Token::Ident, s.substr(i, j - i), offset + i});
      i = j;
    } else {
      throw RouteError("unexpected '" + std::string(1, c) + "' at character " +
                       std::to_string(offset + i + 1));
    }
  }
  out.push_back({Token::End, "", offset + s.size()});
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class ConditionParser {
 public:
  explicit ConditionParser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  std::shared_ptr<const Condition> parse() {
    auto c = parse_or();
    if (peek().kind != Token::End) fail("AND, OR or the end of the condition");
    return c;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  bool keyword(const char* k) const {
    return peek().kind == Token::Ident && upper(peek().text) == k;
  }
  [[noreturn]] void fail(const std::string& expected) const {
    std::string found = peek().kind == Token::End ? "the end" : "'" + peek().text + "'";
    throw RouteError("in WHERE at character " + std::to_string(peek().pos + 1) + ": expected " +
                     expected + ", found " + found);
  }

  std::shared_ptr<const Condition> binary(Condition::Kind kind, std::shared_ptr<const Condition> l,
                                          std::shared_ptr<const Condition> r) {
    auto c = std::make_shared<Condition>();
    c->kind = kind;
    c->left = std::move(l);
    c->right = std::move(r);
    return c;
  }

  std::shared_ptr<const Condition> parse_or() {
    auto l = parse_and();
    while (keyword("OR")) {
      ++i_;
      l = binary(Condition::Kind::Or, l, parse_and());
    }
    return l;
  }
  std::shared_ptr<const Condition> parse_and() {
    auto l = parse_not();
    while (keyword("AND")) {
      ++i_;
      l = binary(Condition::Kind::And, l, parse_not());
    }
    return l;
  }
  std::shared_ptr<const Condition> parse_not() {
    if (keyword("NOT")) {
      ++i_;
      return binary(Condition::Kind::Not, parse_not(), nullptr);
    }
    return parse_primary();
  }
  std::shared_ptr<const Condition> parse_primary() {
    if (peek().kind == Token::LParen) {
      ++i_;
      auto c = parse_or();
      if (peek().kind != Token::RParen) fail("')'");
      ++i_;
      return c;
    }
    if (keyword("IS_DEFINED")) {
      ++i_;
      if (peek().kind != Token::LParen) fail("'(' after IS_DEFINED");
      ++i_;
      if (peek().kind != Token::Ident) fail("a property name");
      auto c = std::make_shared<Condition>();
      c->kind = Condition::Kind::IsDefined;
      c->a = {true, peek().text, std::nullopt};
      ++i_;
      if (peek().kind != Token::RParen) fail("')'");
      ++i_;
      return c;
    }
    auto c = std::make_shared<Condition>();
    c->kind = Condition::Kind::Compare;
    c->a = operand();
    if (peek().kind != Token::Op) fail("a comparison (=, <>, !=, <, >, <=, >=)");
    c->op = peek().text == "!=" ? "<>" : peek().text;
    ++i_;
    c->b = operand();
    return c;
  }
  Condition::Operand operand() {
    const Token& tok = peek();
    Condition::Operand o;
    switch (tok.kind) {
      case Token::Ident:
        if (upper(tok.text) == "TRUE" || upper(tok.text) == "FALSE") {
          o.text = upper(tok.text) == "TRUE" ? "true" : "false";
        } else {
          o.is_property = true;
          o.text = tok.text;
        }
        break;
      case Token::String:
        o.text = tok.text;
        break;
      case Token::Number:
        o.text = tok.text;
        o.number = std::strtod(tok.text.c_str(), nullptr);
        break;
      default:
        fail("a property name, a 'string' or a number");
    }
    ++i_;
    return o;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

std::optional<double> as_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

bool evaluate(const Condition& c, const std::map<std::string, std::string>& props) {
  using K = Condition::Kind;
  switch (c.kind) {
    case K::And:
      return evaluate(*c.left, props) && evaluate(*c.right, props);
    case K::Or:
      return evaluate(*c.left, props) || evaluate(*c.right, props);
    case K::Not:
      return !evaluate(*c.left, props);
    case K::IsDefined:
      return props.count(c.a.text) > 0;
    case K::Compare: {
      auto value = [&](const Condition::Operand& o) -> std::optional<std::string> {
        if (!o.is_property) return o.text;
        auto it = props.find(o.text);
        if (it == props.end()) return std::nullopt;
        return it->second;
      };
      auto a = value(c.a), b = value(c.b);
      // As in IoT Hub queries, a comparison with an undefined property is false.
      if (!a || !b) return false;
      // Compare as numbers when a literal is a number and the other side parses.
      bool numeric = c.a.number || c.b.number;
      auto na = as_number(*a), nb = as_number(*b);
      if (numeric && !(na && nb)) return c.op == "<>";
      int cmp = numeric ? (*na < *nb ? -1 : *na > *nb ? 1 : 0) : a->compare(*b);
      if (c.op == "=") return cmp == 0;
      if (c.op == "<>") return cmp != 0;
      if (c.op == "<") return cmp < 0;
      if (c.op == ">") return cmp > 0;
      if (c.op == "<=") return cmp <= 0;
      if (c.op == ">=") return cmp >= 0;
      return false;
    }
  }
  return false;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Finds a keyword as a whole word, case-insensitively, outside quotes.
size_t find_keyword(const std::string& s, const std::string& kw, size_t from = 0) {
  char quote = 0;
  for (size_t i = from; i + kw.size() <= s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    bool before_ok = i == 0 || std::isspace(static_cast<unsigned char>(s[i - 1]));
    bool after_ok =
        i + kw.size() == s.size() || std::isspace(static_cast<unsigned char>(s[i + kw.size()]));
    if (before_ok && after_ok && upper(s.substr(i, kw.size())) == kw) return i;
  }
  return std::string::npos;
}

}  // namespace

Route parse_route(const std::string& name, const std::string& text) {
  Route r;
  r.name = name;
  r.text = text;
  // The condition parser recurses per parenthesis: no real route is this long.
  if (text.size() > 2048)
    throw RouteError("the route is " + std::to_string(text.size()) +
                     " characters long; a route has at most 2048");
  std::string s = trim(text);
  if (upper(s.substr(0, 5)) != "FROM ")
    throw RouteError("a route starts with FROM, found '" + s.substr(0, 20) + "'");
  size_t into = find_keyword(s, "INTO");
  if (into == std::string::npos)
    throw RouteError("no INTO: a route reads FROM <source> [WHERE <condition>] INTO <sink>");
  size_t where = find_keyword(s, "WHERE");
  if (where != std::string::npos && where > into) where = std::string::npos;
  std::string source = trim(s.substr(5, (where != std::string::npos ? where : into) - 5));
  std::string sink = trim(s.substr(into + 4));

  static const std::regex source_re(
      R"(^/messages/(\*|modules/(\$edgeAgent|[A-Za-z0-9_\-]+)(/\*|/outputs/(\*|[A-Za-z0-9_\-]+))?)$)");
  std::smatch m;
  if (!std::regex_match(source, m, source_re))
    throw RouteError("source '" + source +
                     "' is not one of /messages/*, /messages/modules/<module>/*, "
                     "/messages/modules/<module>/outputs/<output> or .../outputs/*");
  if (m[2].matched) r.from_module = m[2];
  if (m[4].matched) r.from_output = m[4];

  static const std::regex sink_re(
      R"re(^BrokeredEndpoint\(\s*"/modules/([A-Za-z0-9_\-]+)/inputs/([A-Za-z0-9_\-]+)"\s*\)$)re",
      std::regex::icase);
  if (sink == "$upstream") {
    r.to_upstream = true;
  } else if (std::regex_match(sink, m, sink_re)) {
    r.to_module = m[1];
    r.to_input = m[2];
  } else {
    throw RouteError(
        "sink '" + sink +
        "' is not $upstream or BrokeredEndpoint(\"/modules/<module>/inputs/<input>\")");
  }

  if (where != std::string::npos) {
    std::string cond = s.substr(where + 5, into - where - 5);
    if (trim(cond).empty()) throw RouteError("WHERE has no condition");
    r.where = ConditionParser(tokenize(cond, where + 5)).parse();
  }
  return r;
}

bool Route::matches(const std::string& module, const std::string& output,
                    const std::map<std::string, std::string>& properties) const {
  if (from_module != "*" && from_module != module) return false;
  if (from_output != "*" && from_output != output) return false;
  if (!where) return true;
  auto props = properties;
  props["$connectionModuleId"] = module;
  props["$outputName"] = output;
  return evaluate(*where, props);
}

}  // namespace ce
