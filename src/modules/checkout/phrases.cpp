#include "modules/checkout/phrases.h"

#include <iterator>
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

// Each phrase in en, de, fr, es, zh, ko, in Phrase's order.
const char* const kPhrases[][6] = {
    {"Sorry, I could not recognise this item. Please take it off and place it again.",
     "Entschuldigung, ich habe den Artikel nicht erkannt. Bitte nehmen Sie ihn herunter und legen "
     "Sie ihn erneut auf.",
     "Désolé, je n'ai pas reconnu cet article. Veuillez le retirer et le reposer.",
     "Lo siento, no he reconocido este artículo. Por favor, retírelo y colóquelo de nuevo.",
     "抱歉，无法识别此商品。请拿起后重新放上。",
     "죄송합니다. 상품을 인식하지 못했습니다. 내려놓았다가 다시 올려 주세요."},
    {"Is it {1}? Press the number, or 0 for none.",
     "Ist es {1}? Drücken Sie die Nummer, oder 0 für keines.",
     "Est-ce {1} ? Appuyez sur le numéro, ou 0 pour aucun.",
     "¿Es {1}? Pulse el número, o 0 si no es ninguno.", "是{1}吗？请按数字，都不是请按0。",
     "{1} 중 어느 것입니까? 번호를 누르세요. 없으면 0을 누르세요."},
    {"Not added. Please take the item off and place it again, or ask staff for help.",
     "Nicht hinzugefügt. Bitte legen Sie den Artikel erneut auf oder fragen Sie das Personal.",
     "Non ajouté. Veuillez reposer l'article ou demander de l'aide au personnel.",
     "No añadido. Por favor, coloque el artículo de nuevo o pida ayuda al personal.",
     "未添加。请重新放上商品，或请工作人员帮助。",
     "추가하지 않았습니다. 상품을 다시 올리거나 직원에게 도움을 요청하세요."},
    {"Please press a number from 1 to {1}, or 0 for none.",
     "Bitte drücken Sie eine Nummer von 1 bis {1}, oder 0 für keines.",
     "Veuillez appuyer sur un numéro de 1 à {1}, ou 0 pour aucun.",
     "Pulse un número del 1 al {1}, o 0 si no es ninguno.", "请按1到{1}的数字，都不是请按0。",
     "1부터 {1}까지의 번호를 누르세요. 없으면 0을 누르세요."},
    {"Total, {1}.", "Gesamt, {1}.", "Total, {1}.", "Total, {1}.", "总计，{1}。", "합계, {1}."},
    {"The basket is empty.", "Der Warenkorb ist leer.", "Le panier est vide.",
     "La cesta está vacía.", "购物篮是空的。", "장바구니가 비어 있습니다."},
    {"Removed {1}.", "{1} entfernt.", "{1} retiré.", "{1} eliminado.", "已删除{1}。",
     "{1} 삭제했습니다."},
    {"There is nothing to remove.", "Es gibt nichts zu entfernen.", "Il n'y a rien à retirer.",
     "No hay nada que eliminar.", "没有可删除的商品。", "삭제할 상품이 없습니다."},
    {"{1}, {2} pieces, {3}.", "{1}, {2} Stück, {3}.", "{1}, {2} pièces, {3}.",
     "{1}, {2} unidades, {3}.", "{1}，{2}件，{3}。", "{1}, {2}개, {3}."},
    {"Press cancel again to empty the basket.",
     "Drücken Sie erneut Abbrechen, um den Warenkorb zu leeren.",
     "Appuyez de nouveau sur annuler pour vider le panier.",
     "Pulse cancelar otra vez para vaciar la cesta.", "再按一次取消键清空购物篮。",
     "장바구니를 비우려면 취소를 한 번 더 누르세요."},
    {"The basket is cancelled.", "Der Warenkorb wurde geleert.", "Le panier est annulé.",
     "La cesta está cancelada.", "购物篮已取消。", "장바구니가 취소되었습니다."},
    {"Total, {1}. Press Enter again to pay.",
     "Gesamt, {1}. Drücken Sie erneut Enter, um zu bezahlen.",
     "Total, {1}. Appuyez de nouveau sur Entrée pour payer.",
     "Total, {1}. Pulse Intro otra vez para pagar.", "总计，{1}。再按一次确认键付款。",
     "합계, {1}. 결제하려면 확인을 한 번 더 누르세요."},
    {"Paid, {1}. Change, {2}. Thank you.", "Bezahlt, {1}. Rückgeld, {2}. Vielen Dank.",
     "Payé, {1}. Monnaie, {2}. Merci.", "Pagado, {1}. Cambio, {2}. Gracias.",
     "已付款，{1}。找零，{2}。谢谢。", "결제 완료, {1}. 거스름돈, {2}. 감사합니다."},
    {"Press star to repeat, plus for the total, minus to remove the last item, Enter to pay.",
     "Stern wiederholt, Plus nennt die Summe, Minus entfernt den letzten Artikel, Enter bezahlt.",
     "Étoile pour répéter, plus pour le total, moins pour retirer le dernier article, Entrée "
     "pour payer.",
     "Asterisco para repetir, más para el total, menos para quitar el último artículo, Intro "
     "para pagar.",
     "按星号重复，加号听总计，减号删除上一件，确认键付款。",
     "별표는 다시 듣기, 더하기는 합계, 빼기는 마지막 상품 삭제, 확인은 결제입니다."},
    {"The scale is overloaded. Please take some weight off.",
     "Die Waage ist überlastet. Bitte nehmen Sie etwas herunter.",
     "La balance est surchargée. Veuillez retirer du poids.",
     "La báscula está sobrecargada. Por favor, retire peso.", "秤已超载。请拿下一些商品。",
     "저울이 과부하 상태입니다. 무게를 줄여 주세요."},
    {"The scale reads below zero. Please ask staff to zero it.",
     "Die Waage zeigt unter null. Bitte lassen Sie sie vom Personal nullen.",
     "La balance indique moins que zéro. Veuillez demander au personnel de la remettre à zéro.",
     "La báscula marca menos de cero. Pida al personal que la ponga a cero.",
     "秤的读数低于零。请工作人员归零。",
     "저울이 0 아래를 가리킵니다. 직원에게 영점 조정을 요청하세요."},
    {"The scale is not connected. Please ask staff for help.",
     "Die Waage ist nicht verbunden. Bitte fragen Sie das Personal.",
     "La balance n'est pas connectée. Veuillez demander de l'aide au personnel.",
     "La báscula no está conectada. Pida ayuda al personal.", "秤未连接。请工作人员帮助。",
     "저울이 연결되어 있지 않습니다. 직원에게 도움을 요청하세요."},
    {"The scale reports a fault. Please ask staff for help.",
     "Die Waage meldet einen Fehler. Bitte fragen Sie das Personal.",
     "La balance signale une panne. Veuillez demander de l'aide au personnel.",
     "La báscula indica un fallo. Pida ayuda al personal.", "秤报告故障。请工作人员帮助。",
     "저울에 오류가 있습니다. 직원에게 도움을 요청하세요."},
    {"This lane cannot save your basket. Please ask for help.",
     "Diese Kasse kann Ihren Einkauf nicht speichern. Bitte fragen Sie das Personal.",
     "Cette caisse ne peut pas enregistrer votre panier. Veuillez demander de l'aide.",
     "Esta caja no puede guardar su compra. Por favor, pida ayuda.",
     "本收银台无法保存您的购物篮。请寻求帮助。",
     "이 계산대는 장바구니를 저장할 수 없습니다. 직원에게 도움을 요청하세요."},
    {"Which {1} is it? {2}. Press the number, {3} if you do not know which, or 0 for none.",
     "Welche Sorte {1} ist es? {2}. Drücken Sie die Nummer, {3} wenn Sie es nicht wissen, oder 0 "
     "für keines.",
     "Quelle variété de {1} est-ce ? {2}. Appuyez sur le numéro, {3} si vous ne savez pas, ou 0 "
     "pour aucun.",
     "¿Qué variedad de {1} es? {2}. Pulse el número, {3} si no lo sabe, o 0 si no es ninguno.",
     "是哪种{1}？{2}。请按数字，不确定请按{3}，都不是请按0。",
     "어떤 {1}입니까? {2}. 번호를 누르세요. 모르시면 {3}, 없으면 0을 누르세요."},
    {"Please wait, the checkout is starting again. Leave your items where they are.",
     "Bitte warten Sie, die Kasse startet neu. Lassen Sie Ihre Artikel, wo sie sind.",
     "Veuillez patienter, la caisse redémarre. Laissez vos articles où ils sont.",
     "Espere, por favor, la caja se está reiniciando. Deje sus artículos donde están.",
     "请稍候，收银台正在重新启动。请不要移动您的商品。",
     "잠시 기다려 주세요. 계산대를 다시 시작하고 있습니다. 상품을 그대로 두세요."},
    {"The checkout is ready.", "Die Kasse ist bereit.", "La caisse est prête.",
     "La caja está lista.", "收银台已就绪。", "계산대가 준비되었습니다."},
    {"Please answer the question about the last item first.",
     "Bitte beantworten Sie zuerst die Frage zum letzten Artikel.",
     "Veuillez d'abord répondre à la question sur le dernier article.",
     "Por favor, responda primero a la pregunta sobre el último artículo.",
     "请先回答关于上一件商品的问题。", "먼저 마지막 상품에 대한 질문에 답해 주세요."},
    {"The item was taken off, so its question is withdrawn. Place it again to add it.",
     "Der Artikel wurde heruntergenommen, die Frage entfällt. Legen Sie ihn erneut auf, um ihn "
     "hinzuzufügen.",
     "L'article a été retiré, la question est annulée. Reposez-le pour l'ajouter.",
     "Se retiró el artículo, así que la pregunta queda anulada. Colóquelo de nuevo para añadirlo.",
     "商品已拿走，问题已取消。请重新放上以添加。",
     "상품을 치워서 질문이 취소되었습니다. 추가하려면 다시 올려 주세요."},
    {"The last item was not added. Please place it on the scale again.",
     "Der letzte Artikel wurde nicht hinzugefügt. Bitte legen Sie ihn erneut auf die Waage.",
     "Le dernier article n'a pas été ajouté. Veuillez le reposer sur la balance.",
     "El último artículo no se ha añadido. Por favor, colóquelo de nuevo en la báscula.",
     "上一件商品未添加。请重新放到秤上。",
     "마지막 상품이 추가되지 않았습니다. 저울에 다시 올려 주세요."},
    {"The last {1} items were not added. Please place them on the scale again.",
     "Die letzten {1} Artikel wurden nicht hinzugefügt. Bitte legen Sie sie erneut auf die Waage.",
     "Les {1} derniers articles n'ont pas été ajoutés. Veuillez les reposer sur la balance.",
     "Los últimos {1} artículos no se han añadido. Por favor, colóquelos de nuevo en la báscula.",
     "最后{1}件商品未添加。请重新放到秤上。",
     "마지막 상품 {1}개가 추가되지 않았습니다. 저울에 다시 올려 주세요."},
    {"Please wait, the lane is still looking at this item. Leave it on the scale.",
     "Bitte warten Sie, die Kasse erkennt den Artikel noch. Lassen Sie ihn auf der Waage.",
     "Veuillez patienter, la caisse examine encore cet article. Laissez-le sur la balance.",
     "Espere, por favor, la caja aún está reconociendo el artículo. Déjelo en la báscula.",
     "请稍候，收银台仍在识别这件商品。请把它留在秤上。",
     "잠시 기다려 주세요. 계산대가 아직 상품을 확인하고 있습니다. 저울 위에 그대로 두세요."},
    {"This item is not in the catalogue. Please ask for help.",
     "Dieser Artikel ist nicht im Sortiment. Bitte fragen Sie nach Hilfe.",
     "Cet article n'est pas au catalogue. Veuillez demander de l'aide.",
     "Este artículo no está en el catálogo. Por favor, pida ayuda.",
     "此商品不在商品目录中。请寻求帮助。", "이 상품은 목록에 없습니다. 도움을 요청해 주세요."},
    {"Turn the package slowly so the camera can see its barcode.",
     "Drehen Sie die Packung langsam, damit die Kamera den Strichcode sieht.",
     "Tournez lentement l'emballage pour que la caméra voie son code-barres.",
     "Gire el paquete despacio para que la cámara vea su código de barras.",
     "请慢慢转动包装，让摄像头看到条形码。",
     "카메라가 바코드를 볼 수 있도록 포장을 천천히 돌려 주세요."},
    {"{1}. Please place it on the scale.", "{1}. Bitte legen Sie es auf die Waage.",
     "{1}. Veuillez le poser sur la balance.", "{1}. Por favor, colóquelo en la báscula.",
     "{1}。请放到秤上。", "{1}. 저울에 올려 주세요."},
};

constexpr Phrase kLastPhrase = Phrase::PlaceOnScale;
static_assert(std::size(kPhrases) == static_cast<size_t>(kLastPhrase) + 1, "one row per Phrase");

int language_column(const std::string& language) {
  static const char* const order[] = {"en", "de", "fr", "es", "zh", "ko"};
  for (int i = 0; i < 6; ++i)
    if (language == order[i]) return i;
  return 0;
}

}  // namespace

std::string say_phrase(Phrase phrase, const std::string& locale,
                       const std::vector<std::string>& args) {
  std::string text =
      kPhrases[static_cast<int>(phrase)][language_column(language_of(phrase_locale(locale)))];
  for (size_t i = 0; i < args.size(); ++i) {
    std::string mark = "{" + std::to_string(i + 1) + "}";
    if (auto at = text.find(mark); at != std::string::npos) text.replace(at, mark.size(), args[i]);
  }
  return text;
}

std::vector<std::string> fixed_phrases(const std::string& locale) {
  std::vector<std::string> out;
  for (int p = 0; p <= static_cast<int>(kLastPhrase); ++p) {
    std::string text = say_phrase(static_cast<Phrase>(p), locale);
    if (text.find('{') == std::string::npos) out.push_back(text);
  }
  return out;
}

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
  std::string text = name.empty() ? "" : name + sep;
  if (grams >= 0) text += say_weight(grams, locale) + sep;
  text += say_money(price_minor, currency, minor_units, locale);
  return text + (phrase_locale(locale) == "zh-CN" ? "。" : ".");
}

std::string say_name(const std::string& name, const std::string& locale) {
  return name + (phrase_locale(locale) == "zh-CN" ? "。" : ".");
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
