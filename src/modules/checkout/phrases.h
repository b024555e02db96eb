// What the checkout says, written the way people say it in each language
// the lane speaks: en-US, en-GB, en-AU, de-DE, fr-FR, es-ES, zh-CN, ko-KR
// (another locale falls back to its language, then to en-US).
#pragma once

#include <string>
#include <vector>

namespace ce {

// 420 -> "0.42 kilograms" (en), "0,42 Kilogramm" (de), "0.42公斤" (zh).
std::string say_weight(long long grams, const std::string& locale = "en-US");
// 126 USD -> "1 dollar 26", 26 -> "26 cents"; 210 GBP (en-GB) -> "2 pounds 10 pence";
// 126 EUR (de-DE) -> "1 Euro 26"; 126 CNY (zh-CN) -> "1元2角6分"; 1260 KRW -> "1260원".
std::string say_money(long long minor, const std::string& currency, int minor_units = 2,
                      const std::string& locale = "en-US");
// "Banana, 0.42 kilograms, 1 dollar 26." (grams < 0: sold by the unit, no
// weight; no name: "0.42 kilograms, 1 dollar 26.", after the name was said).
std::string say_line(const std::string& name, long long grams, long long price_minor,
                     const std::string& currency, int minor_units, const std::string& locale);
// "Banana." (said before the weight settles).
std::string say_name(const std::string& name, const std::string& locale);
// "Banana, 3.2 kilograms. Please check."
std::string say_check_weight(const std::string& name, long long grams, const std::string& locale);
// The checkout's other sentences. In the text, {1} and {2} are filled from
// `args`; the fixed ones (no {n}) are made into sound before the first scan.
enum class Phrase {
  NotRecognised,  // "Sorry, I could not recognise this item. ..."
  AskWhich,       // {1}: "1 Banana, 2 Plantain" -> "Is it 1 Banana, 2 Plantain? ..."
  NoneChosen,
  PressNumber,  // {1}: the highest number
  Total,        // {1}: money
  BasketEmpty,
  Removed,  // {1}: product name
  NothingToRemove,
  Quantity,  // {1}: name, {2}: count, {3}: money
  ConfirmCancel,
  Cancelled,
  ConfirmPay,  // {1}: money
  Paid,        // {1}: money paid, {2}: change
  KeyHelp,
  ScaleOverload,
  ScaleUnderZero,
  ScaleDisconnected,
  ScaleFault,
  CannotSave,  // the journal cannot be written (disk full, damaged)
  // {1}: the group ("apple"), {2}: "1 Granny Smith, 2 Pink Lady", {3}: the
  // number that means "one of these, I do not know which"
  AskWhichVariety,
  // Said by speech on its own while the checkout is down, and when it is back.
  CheckoutRestarting,
  CheckoutReady,
  // Pay while a question is open: the item in question would not be charged.
  AnswerFirst,
  // The item was lifted while its question was open.
  QuestionWithdrawn,
  // The item was lifted (or the lane was down) before it was decided.
  NotAdded,
  // {1}: how many items the scale saw placed while the checkout could not.
  SomeNotAdded,
  // An item settled and nothing has decided it for a while (the camera or
  // the classifier restarting): the shopper is told to leave it there.
  StillLooking,
  // A product code the catalogue does not know: nothing is charged.
  NotInCatalogue,
  // A package the image is unsure of and no code read yet.
  TurnPackage,
  // {1}: product name. A product sold by weight was scanned with the scale empty.
  PlaceOnScale,
};
std::string say_phrase(Phrase phrase, const std::string& locale,
                       const std::vector<std::string>& args = {});
// Every fixed sentence in a locale, for speech to prepare.
std::vector<std::string> fixed_phrases(const std::string& locale);

// The locale the phrases use for `locale` ("de-AT" -> "de-DE", "pt-BR" -> "en-US").
std::string phrase_locale(const std::string& locale);

}  // namespace ce
