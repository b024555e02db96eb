// A sentence as the checkout sends it on speech's input "say", checked
// before it is queued.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "modules/speech/speech_queue.h"

namespace ce {

// {"text", "kind"?, "locale"?, "priority"?, "originMs"?, "sentenceId"?,
// "whole"?, "after"?}. Throws std::runtime_error saying what is wrong.
SpeechRequest read_sentence(const nlohmann::json& j, const std::string& lane_locale);

}  // namespace ce
