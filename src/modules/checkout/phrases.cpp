#include "modules/checkout/phrases.h"

#include <map>

namespace ce {
namespace {

const char* const kLocales[] = {"en-US", "en-GB", "en-AU", "de-DE",
                                "fr-FR", "es-ES", "zh-CN", "ko-KR"};

std::string language_of(const std::string& locale) { return locale.substr(0, locale.find('-')); }

// "0.42" or "0,42": the kilograms with no trailing zeros.
std::string kilograms(long long grams, char decimal) {
  std::string kg = std::to_string(grams / 1000);
  if (long long rest = grams % 1000) {
    std::string frac = std::to_string(1000 + rest).substr(1);
    while (frac.back() == '0') frac.pop_back();
    kg += decimal + frac;
  }
  return kg;
}

struct CurrencyWords {
  const char *one, *many, *minor_one, *minor_many;
  bool minor_after;  // "2 pounds 10 pence" rather than "1 dollar 26"
};

// The currency's words in a language; nullptr when it has none here.
const CurrencyWords* currency_words(const std::string& currency, const std::string& language) {
  static const std::map<std::string, CurrencyWords> en{
      {"USD", {"dollar", "dollars", "cent", "cents", false}},
      {"AUD", {"dollar", "dollars", "cent", "cents", false}},
      {"CAD", {"dollar", "dollars", "cent", "cents", false}},
      {"EUR", {"Euro", "Euro", "cent", "cents", false}},
      {"GBP", {"pound", "pounds", "penny", "pence", true}}};
  static const std::map<std::string, CurrencyWords> de{
      {"EUR", {"Euro", "Euro", "Cent", "Cent", false}},
      {"USD", {"Dollar", "Dollar", "Cent", "Cent", false}},
      {"GBP", {"Pfund", "Pfund", "Penny", "Pence", false}}};
  static const std::map<std::string, CurrencyWords> fr{
      {"EUR", {"euro", "euros", "centime", "centimes", false}},
      {"USD", {"dollar", "dollars", "cent", "cents", false}}};
  static const std::map<std::string, CurrencyWords> es{
      {"EUR", {"euro", "euros", "céntimo", "céntimos", false}},
      {"USD", {"dólar", "dólares", "centavo", "centavos", false}}};
  const std::map<std::string, CurrencyWords>* table = language == "de"   ? &de
                                                      : language == "fr" ? &fr
                                                      : language == "es" ? &es
                                                                         : &en;
  auto it = table->find(currency);
  return it == table->end() ? nullptr : &it->second;
}

std::string separator(const std::string& locale) { return locale == "zh-CN" ? "，" : ", "; }

}  // namespace

std::string phrase_locale(const std::string& locale) {
  for (const char* l : kLocales)
    if (locale == l) return l;
  for (const char* l : kLocales)
    if (language_of(locale) == language_of(l)) return l;
  return "en-US";
}

std::string say_weight(long long grams, const std::string& requested) {
  std::string locale = phrase_locale(requested), lang = language_of(locale);
  if (lang == "de") return kilograms(grams, ',') + " Kilogramm";
  if (lang == "fr") return kilograms(grams, ',') + (grams < 2000 ? " kilogramme" : " kilogrammes");
  if (lang == "es") return kilograms(grams, ',') + (grams == 1000 ? " kilogramo" : " kilogramos");
  if (lang == "zh") return kilograms(grams, '.') + "公斤";
  if (lang == "ko") return kilograms(grams, '.') + "킬로그램";
  return kilograms(grams, '.') + (grams == 1000 ? " kilogram" : " kilograms");
}

std::string say_money(long long minor, const std::string& currency, int minor_units,
                      const std::string& requested) {
  std::string locale = phrase_locale(requested), lang = language_of(locale);
  long long scale = 1;
  for (int i = 0; i < minor_units; ++i) scale *= 10;
  long long major = minor / scale, cents = minor % scale;
  if (currency == "KRW" || lang == "ko")
    return std::to_string(minor) + (currency == "KRW" ? "원" : " " + currency);
  if (lang == "zh") {
    // Yuan, jiao (tenths), fen (hundredths), as prices are read out.
    std::string out = std::to_string(major) + (currency == "CNY" ? "元" : " " + currency + " ");
    if (currency == "CNY" && minor_units == 2) {
      if (cents / 10) out += std::to_string(cents / 10) + "角";
      if (cents % 10) out += std::to_string(cents % 10) + "分";
    } else if (cents) {
      out += std::to_string(cents);
    }
    return out;
  }
  const CurrencyWords* w = currency_words(currency, lang);
  CurrencyWords fallback{currency.c_str(), currency.c_str(), "", "", false};
  if (!w) w = &fallback;
  auto count = [](long long v, const char* one, const char* many) {
    return std::to_string(v) + " " + (v == 1 ? one : many);
  };
  if (major == 0 && cents > 0 && *w->minor_one) return count(cents, w->minor_one, w->minor_many);
  std::string out = count(major, w->one, w->many);
  if (cents) {
    if (lang == "es") out += " con";
    out +=
        " " + (w->minor_after ? count(cents, w->minor_one, w->minor_many) : std::to_string(cents));
  }
  return out;
}

std::string say_line(const std::string& name, long long grams, long long price_minor,
                     const std::string& currency, int minor_units, const std::string& locale) {
  std::string sep = separator(phrase_locale(locale));
  std::string text = name + sep;
  if (grams >= 0) text += say_weight(grams, locale) + sep;
  text += say_money(price_minor, currency, minor_units, locale);
  return text + (phrase_locale(locale) == "zh-CN" ? "。" : ".");
}

std::string say_check_weight(const std::string& name, long long grams,
                             const std::string& requested) {
  std::string locale = phrase_locale(requested), lang = language_of(locale);
  std::string head = name + separator(locale) + say_weight(grams, locale);
  if (lang == "de") return head + ". Bitte prüfen.";
  if (lang == "fr") return head + ". Veuillez vérifier.";
  if (lang == "es") return head + ". Por favor, compruebe.";
  if (lang == "zh") return head + "。请检查。";
  if (lang == "ko") return head + ". 확인해 주세요.";
  return head + ". Please check.";
}

}  // namespace ce
