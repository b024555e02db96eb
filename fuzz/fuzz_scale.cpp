// What a scale sends, for each protocol (the first byte chooses): every
// decoded reading, judged against the scale's capacity, is a weight the
// scale can show or a fault; never an "ok" beyond capacity or below zero.
#include <cstdlib>

#include "fuzz_input.h"
#include "modules/scale/hid_pos.h"
#include "modules/scale/mt_sics.h"
#include "modules/scale/toledo_8213.h"
#include "modules/scale/weight.h"

namespace {

constexpr long long kCapacityMg = 15'000'000;  // a 15 kg produce scale

void judge(const ce::WeightReading& read) {
  ce::WeightReading r = ce::within_capacity(read, kCapacityMg);
  if ((r.status == ce::ScaleStatus::Ok || r.status == ce::ScaleStatus::Motion) &&
      (r.milligrams < 0 || r.milligrams > kCapacityMg))
    abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string rest = ce::fuzz::text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      for (const char* unit : {"lb", "kg"})
        if (auto r = ce::toledo_8213::parse(rest, unit)) judge(*r);
      break;
    case 1: {
      ce::mt_sics::Reply reply = ce::mt_sics::parse(rest);
      if (reply.kind == ce::mt_sics::Reply::Kind::Weight) judge(reply.reading);
      break;
    }
    case 2:
      if (auto r = ce::hid_pos::decode(std::vector<uint8_t>(data + 1, data + size))) judge(*r);
      break;
    case 3: {
      size_t space = rest.find(' ');
      std::string number = rest.substr(0, space);
      std::string unit = space == std::string::npos ? "g" : rest.substr(space + 1);
      if (auto mg = ce::to_milligrams(number, unit)) judge({*mg, ce::ScaleStatus::Ok, true});
      break;
    }
  }
  return 0;
}
