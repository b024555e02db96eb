// barcodes: looks for product codes (EAN/UPC, GS1 DataBar) in the camera's
// frames of a settled scene, input "frames", and says on output "codes"
// what each frame gave: {"code": {"symbology", "text", "gtin"?, "plu"?,
// "netWeightMg"?, "labelPrice"?} or null, "source": "camera", "sceneId"}, until
// the scene's code counts (a frame asked for outside a still scene is a
// scene of its own, named by its frame id) (then nothing more for that scene). A null tells
// the checkout that an unsure scan need not wait for a code. The camera
// sends frames only while an item is still (or its weight just settled), so
// the lane spends nothing here when idle; the classifier never waits for this module.
#include <chrono>
#include <cmath>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "common/image_header.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "hub/latest_frames.h"
#include "modules/barcodes/isolated_reader.h"
#include "modules/barcodes/scene_codes.h"
#include "modules/modules.h"

namespace ce {

namespace {

const std::set<std::string> kSymbologies{"EAN-13", "EAN-8",   "UPC-A",
                                         "UPC-E",  "DataBar", "DataBar Expanded"};

// "symbologies": the codes this lane counts (a store whose labels carry
// other codes in DataBar may leave it out); every one it reads by default.
std::set<std::string> symbologies_setting(const nlohmann::json& desired) {
  auto chosen = setting<std::set<std::string>>(desired, "symbologies", kSymbologies);
  for (const auto& s : chosen)
    if (!kSymbologies.count(s))
      throw SettingError("desired property 'symbologies' lists \"" + s +
                         "\"; the lane reads EAN-13, EAN-8, UPC-A, UPC-E, DataBar and DataBar "
                         "Expanded");
  if (chosen.empty()) throw SettingError("desired property 'symbologies' is empty");
  return chosen;
}

}  // namespace

void check_barcodes_settings(const nlohmann::json& desired) { symbologies_setting(desired); }

static cv::Mat grey_frame(const Message& frame) {
  std::string_view bytes(frame.body);
  auto header = read_image_header(bytes);
  if (!header) throw std::invalid_argument("the frame is not a JPEG, PNG or GIF image");
  if (auto why = too_many_pixels(*header); !why.empty()) throw std::invalid_argument(why);
  cv::Mat data(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat grey = cv::imdecode(data, cv::IMREAD_GRAYSCALE);
  if (grey.empty()) throw std::invalid_argument("the frame's image does not decode");
  return grey;
}

int run_barcodes(ModuleClient& client, const nlohmann::json& desired) {
  const std::set<std::string> symbologies = symbologies_setting(desired);
  client.report({{"symbologies", symbologies}});
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });
  IsolatedCodeReader reader;
  SceneCodes scenes;
  LatestFrames frames(4);
  client.on_input("frames", [&](const Message& frame) { frames.push(frame); });
  // The worker loads the whole program (a fifth of a second here, more on
  // a busy lane): loaded before the module says it is ready, so a frame
  // after that is read at once (the checkout waits for a code only
  // `codeWaitMs`). Frames meanwhile wait above.
  reader.read(cv::Mat(8, 8, CV_8UC1, cv::Scalar(255)));
  long long read = 0, sent = 0;
  client.report({{"reader", "ready"}, {"framesRead", 0}, {"codesSent", 0}, {"readerRestarts", 0}});
  // Frames are read on a thread of their own; this one waits for SIGTERM.
  run_until_stopped([&] {
    while (!stop_requested()) {
      auto frame = frames.next(std::chrono::milliseconds(200));
      if (!frame) continue;
      auto start = std::chrono::steady_clock::now();
      std::vector<ProductCode> codes;
      try {
        for (const auto& code : reader.read(grey_frame(*frame)).codes) {
          if (!symbologies.count(code.symbology)) continue;
          try {
            codes.push_back(parse_product_code(code.symbology, code.text));
          } catch (const std::invalid_argument& e) {
            std::cerr << "barcodes: ignoring a read: " << e.what() << "\n";
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "barcodes: skipping a frame: " << e.what() << "\n";
        continue;
      }
      ++read;
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      // A frame of no still scene (one the checkout asked for when the weight
      // settled) is a scene of its own, named by its id as the classifier
      // names it, so what its code decides can be learnt from.
      std::string scene = frame->property("sceneId", frame->id());
      bool counted_before = scenes.decided(scene);
      auto code = scenes.on_frame(scene, codes);
      if (!counted_before) {
        nlohmann::json body{{"code", code ? to_json(*code) : nlohmann::json()},
                            {"source", "camera"},
                            {"sceneId", scene}};
        Message m = Message::with_json(body);
        if (!frame->property("sceneId").empty()) m.properties["sceneId"] = scene;
        m.properties["frameId"] = frame->id();
        m.properties["captureTime"] = frame->property("captureTime");
        client.send_output("codes", m);
        if (code) {
          ++sent;
          std::cerr << "barcodes: " << code->symbology << " " << code->text << " in scene " << scene
                    << "\n";
          client.report({{"lastCode", body["code"]}});
        }
      }
      client.report({{"framesRead", read},
                     {"codesSent", sent},
                     {"readerRestarts", reader.worker_deaths()},
                     {"lastReadMs", std::round(ms * 10) / 10}});
    }
  });
  return 0;
}

}  // namespace ce
