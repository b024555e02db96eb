// The classifier's models: every shared export loads unchanged, the two
// exports of one model agree, packages carry their preprocessing.
#include "modules/classifier/model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "modules/classifier/preprocess.h"
#include "vision_support.h"

namespace fs = std::filesystem;
using namespace ce::vision_testing;
using ce::Model;
using nlohmann::json;

namespace {

float max_difference(const std::vector<ce::Prediction>& a, const std::vector<ce::Prediction>& b) {
  std::map<std::string, float> by_tag;
  for (auto& p : a) by_tag[p.tag_name] = p.probability;
  float worst = 0;
  for (auto& p : b) worst = std::max(worst, std::abs(by_tag.at(p.tag_name) - p.probability));
  return worst;
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / (name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(ModelLoading, EveryCustomVisionExportLoadsUnchangedAndClassifies) {
  auto banana = read_bytes(photos("/Banana/", 1).at(0));
  int exports = 0;
  for (auto& e : fs::directory_iterator(exports_dir())) {
    if (!e.is_directory()) continue;
    SCOPED_TRACE(e.path().string());
    std::string file =
        (e.path() / (fs::exists(e.path() / "model.pb") ? "model.pb" : "model.onnx")).string();
    std::string before = read_bytes(file);
    Model m = Model::load(json{{"package", e.path().string()}});
    EXPECT_EQ(read_bytes(file), before) << "the export on disk must stay as committed";
    EXPECT_EQ(m.input_width(), 227);  // read from the graph, not told
    EXPECT_EQ(m.input_height(), 227);
    auto fixes = m.describe()["loadFixes"].dump();
    if (file.ends_with(".pb"))
      EXPECT_NE(fixes.find("folded"), std::string::npos) << fixes;
    else
      EXPECT_NE(fixes.find("loss1"), std::string::npos)
          << "the ZipMap's input is the output: " << fixes;
    auto p = m.classify(m.decode(banana));
    ASSERT_EQ(p.size(), m.labels().size());
    for (auto& x : p) {
      EXPECT_GE(x.probability, 0.0f);
      EXPECT_LE(x.probability, 1.0f);
    }
    EXPECT_GE(p[0].probability, p.back().probability);
    ++exports;
  }
  EXPECT_EQ(exports, 7) << "the shared models README lists seven Custom Vision exports";
}

TEST(ModelLoading, TensorFlowAndOnnxExportsOfOneModelAgreeWithin1e4) {
  Model tf = Model::load(json{{"package", exports_dir() + "/toscana_computer-tf"}});
  Model onnx = Model::load(json{{"package", exports_dir() + "/toscana_computer-onnx"}});
  ASSERT_EQ(tf.labels(), onnx.labels());
  auto images = photos("/Fruit/", 400);
  images.resize(std::min<size_t>(images.size(), 12));
  // Synthetic scenes too: scores far from 0 and 1 show differences best.
  std::vector<cv::Mat> inputs;
  for (auto& path : images) inputs.push_back(tf.decode(read_bytes(path)));
  for (int i = 0; i < 4; ++i) {
    cv::Mat noise(300, 400, CV_8UC3);
    cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
    inputs.push_back(noise);
  }
  float worst = 0;
  for (auto& img : inputs)
    worst = std::max(worst, max_difference(tf.classify(img), onnx.classify(img)));
  EXPECT_LE(worst, 1e-4f);
}

TEST(ModelLoading, Float16SqueezeNetLoadsAndMatchesFloat32) {
  Model half = Model::load(squeezenet_description("SqueezeNet_fp16.onnx"));
  Model full = Model::load(squeezenet_description("SqueezeNet_fp32.onnx"));
  EXPECT_NE(half.describe()["loadFixes"].dump().find("float16"), std::string::npos);
  EXPECT_EQ(half.input_width(), 224);
  for (auto& path : photos("/Banana/", 3)) {
    cv::Mat img = full.decode(read_bytes(path));
    auto a = half.classify(img), b = full.classify(img);
    EXPECT_EQ(a[0].tag_name, b[0].tag_name);
    EXPECT_LE(max_difference(a, b), 0.02f);  // float16 weights round to 3 digits
  }
}

TEST(ModelLoading, TwoClassFruitExportRecognisesStorePhotos) {
  // With the container's preprocessing the apples-and-bananas export is
  // right on real store photos; wrong preprocessing (RGB, no crop) is not.
  Model m = Model::load(json{{"package", exports_dir() + "/azure_apples_bananas-tf"}});
  int right = 0, total = 0;
  for (const char* tag : {"Apple", "Banana"})
    for (auto& path : photos(std::string("/") + tag + "/", 15)) {
      right += m.classify(m.decode(read_bytes(path)))[0].tag_name == tag;
      ++total;
    }
  EXPECT_GE(right, total * 9 / 10) << right << " of " << total;
}

TEST(ModelPackage, PackageJsonGivesFilesPreprocessingAndIteration) {
  fs::path dir = temp_dir("package");
  fs::copy_file(squeezenet("Labels.txt"), dir / "labels.txt");
  json package = {{"format", "checkout-edge-model"},
                  {"name", "grocery"},
                  {"iteration", 3},
                  {"created", "2026-11-25T10:00:00Z"},
                  {"model", squeezenet("SqueezeNet_fp32.onnx")},
                  {"labels", "labels.txt"},
                  {"preprocessing",
                   {{"resize", "shorter-side"}, {"resizeTo", 256}, {"mean", {104, 117, 123}}}}};
  std::ofstream(dir / "package.json") << package.dump();
  Model m = Model::load(json(dir.string()));  // a plain path works too
  EXPECT_EQ(m.version(), "grocery iteration 3");
  EXPECT_EQ(m.describe()["iteration"], 3);
  EXPECT_EQ(m.describe()["created"], "2026-11-25T10:00:00Z");
  EXPECT_EQ(m.describe()["preprocessing"]["mean"], json({104.0, 117.0, 123.0}));
  auto top = m.classify(m.decode(read_bytes(photos("/Banana/", 1).at(0))))[0];
  EXPECT_EQ(top.tag_name, "banana");

  // The description overrides the package: here, no mean subtraction.
  Model raw = Model::load(json{{"package", dir.string()}, {"mean", {0, 0, 0}}, {"version", "raw"}});
  EXPECT_EQ(raw.version(), "raw");
  EXPECT_EQ(raw.describe()["preprocessing"]["mean"], json({0.0, 0.0, 0.0}));
}

TEST(ModelPackage, ErrorsSayWhatIsWrong) {
  auto message = [](const json& d) {
    try {
      Model::load(d);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(loaded)");
  };
  fs::path dir = temp_dir("bad-models");
  EXPECT_NE(message(json{{"package", (dir / "nowhere").string()}}).find("does not exist"),
            std::string::npos);
  fs::create_directories(dir / "empty");
  EXPECT_NE(message(json{{"package", (dir / "empty").string()}})
                .find("no package.json, model.onnx, model.pb or model.tflite"),
            std::string::npos);
  std::ofstream(dir / "junk.onnx") << "not a model";
  std::ofstream(dir / "labels.txt") << "a\nb\nc\n";
  EXPECT_NE(
      message(json{{"file", (dir / "junk.onnx").string()}}).find("junk.onnx: not an ONNX model"),
      std::string::npos);
  std::ofstream(dir / "model.tflite") << "x";
  EXPECT_NE(
      message(json{{"file", (dir / "model.tflite").string()}}).find("not a TensorFlow Lite model"),
      std::string::npos);
  std::ofstream(dir / "model.caffemodel") << "x";
  EXPECT_NE(
      message(json{{"file", (dir / "model.caffemodel").string()}}).find("unknown model format"),
      std::string::npos);
  auto mismatch = message(json{{"file", squeezenet("SqueezeNet_fp32.onnx")},
                               {"labels", (dir / "labels.txt").string()}});
  EXPECT_NE(mismatch.find("1000 outputs but the labels file has 3 tags"), std::string::npos)
      << mismatch;
  EXPECT_NE(message(json{{"labels", "x"}}).find("names no model"), std::string::npos);
  EXPECT_NE(message(json{{"file", squeezenet("SqueezeNet_fp32.onnx")},
                         {"labels", squeezenet("Labels.txt")},
                         {"resize", "squash"}})
                .find("'resize'"),
            std::string::npos);
  EXPECT_NE(message(json{{"file", squeezenet("SqueezeNet_fp32.onnx")},
                         {"labels", squeezenet("Labels.txt")},
                         {"engine", "fast"}})
                .find("engine must be \"integer\""),
            std::string::npos);
}

TEST(Preprocessing, CustomVisionCropIsTheCentreOfA256Square) {
  // A 640x480 image whose columns count up: the square is columns 80..559,
  // resized to 256 and cropped to the centre 227.
  cv::Mat img(480, 640, CV_8UC3);
  for (int x = 0; x < img.cols; ++x) img.col(x).setTo(cv::Scalar::all(x * 255 / 639));
  ce::Preprocessing p;
  cv::Mat crop = ce::crop_for_network(img, p, 227, 227);
  ASSERT_EQ(crop.size(), cv::Size(227, 227));
  // Column 14 of the 256 square is the crop's first: 80 + 14.5 * 480/256.
  double expected_first = (80 + 14.5 * 480.0 / 256) * 255 / 639;
  EXPECT_NEAR(crop.at<cv::Vec3b>(100, 0)[0], expected_first, 1.5);
  p.resize = "stretch";
  EXPECT_EQ(ce::crop_for_network(img, p, 100, 50).size(), cv::Size(100, 50));
}

TEST(Preprocessing, ExifOrientationIsAppliedUnlessTurnedOff) {
  cv::Mat img(60, 100, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", img, jpeg);
  // An APP1 Exif segment saying "rotate 90 degrees clockwise" (orientation 6).
  std::vector<unsigned char> exif = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0,
                                     0,    'I',  'I',  0x2A, 0,   8,   0,   0,   0,  // TIFF header
                                     1,    0,                                        // one entry
                                     0x12, 0x01, 3,    0,    1,   0,   0,   0,   6,
                                     0,    0,    0,    0,    0,   0,   0};  // no next IFD
  jpeg.insert(jpeg.begin() + 2, exif.begin(), exif.end());
  std::string bytes(jpeg.begin(), jpeg.end());
  EXPECT_EQ(ce::decode_image(bytes, true).size(), cv::Size(60, 100));
  EXPECT_EQ(ce::decode_image(bytes, false).size(), cv::Size(100, 60));
  EXPECT_TRUE(ce::decode_image("not an image", true).empty());
}
