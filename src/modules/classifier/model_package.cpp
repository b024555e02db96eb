#include "modules/classifier/model_package.h"

#include <filesystem>
#include <fstream>

#include "common/checksum.h"
#include "common/settings.h"
#include "modules/classifier/network_file.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

const char* const kPackageFile = "package.json";

int positive_or_zero(const nlohmann::json& j, const char* key, int fallback) {
  int v = setting<int>(j, key, fallback);
  if (v < 0) throw SettingError(std::string("'") + key + "' must not be negative");
  return v;
}

// A quantized TensorFlow Lite input says how pixels become its values
// (real = scale x (q - zero point)); the rest is how such networks are fed:
// RGB, shorter side to 256/224 of the input, the centre crop.
Preprocessing tflite_preprocessing(const std::string& file, Preprocessing d) {
  NetworkFile net = tflite_input(file);
  if (!net.metadata.count("tflite.inputScale")) return d;  // float input: as for other exports
  d.resize = "shorter-side";
  d.resize_to = net.input_width > 0 ? net.input_width * 256 / 224 : 256;
  d.rgb = true;
  double mean = std::stod(net.metadata.at("tflite.inputMean"));
  d.mean = cv::Scalar(mean, mean, mean);
  d.scale = std::stod(net.metadata.at("tflite.inputScale"));
  return d;
}

bool is_tflite(const std::string& file) { return fs::path(file).extension() == ".tflite"; }

// A folder without package.json: a Custom Vision export, as committed.
void find_export_files(ModelPackage& p) {
  for (const char* name : {"model.onnx", "model.pb", "model.tflite"})
    if (fs::exists(fs::path(p.dir) / name)) {
      p.model_file = (fs::path(p.dir) / name).string();
      break;
    }
  if (p.model_file.empty())
    throw std::runtime_error(p.dir +
                             ": not a model package: it has no package.json, model.onnx, "
                             "model.pb or model.tflite");
  p.labels_file = (fs::path(p.dir) / "labels.txt").string();
  p.name = fs::path(p.dir).filename().string();
}

void read_package_json(ModelPackage& p) {
  fs::path file = fs::path(p.dir) / kPackageFile;
  std::ifstream in(file);
  try {
    p.info = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not valid JSON: " + e.what());
  }
  auto relative = [&](const char* key, const char* fallback) {
    std::string name = setting<std::string>(p.info, key, fallback);
    return fs::path(name).is_absolute() ? name : (fs::path(p.dir) / name).string();
  };
  p.model_file = relative("model", "model.onnx");
  p.labels_file = relative("labels", "labels.txt");
  p.name = setting<std::string>(p.info, "name", fs::path(p.dir).filename().string());
  p.iteration = setting<int>(p.info, "iteration", 0);
  p.created = setting<std::string>(p.info, "created", "");
  p.preprocessing =
      Preprocessing::from_json(p.info.value("preprocessing", nlohmann::json::object()), {});
  for (const auto& f : p.info.value("fronts", nlohmann::json::array())) {
    NetworkFront front;
    front.file = (fs::path(p.dir) / setting<std::string>(f, "file", "")).string();
    front.tensor = setting<std::string>(f, "tensor", "");
    front.input = setting<std::string>(f, "input", "");
    auto mean = setting<std::vector<double>>(f, "mean", {127.5, 127.5, 127.5});
    if (mean.size() != 3 || front.tensor.empty() || front.input.empty())
      throw std::runtime_error(file.string() +
                               ": a front needs its file, tensor, input and 3 means");
    front.mean = cv::Scalar(mean[0], mean[1], mean[2]);
    front.scale = setting<double>(f, "scale", front.scale);
    p.fronts.push_back(front);
  }
  const nlohmann::json checksums = p.info.value("checksums", nlohmann::json::object());
  for (const auto& [name, expected] : checksums.items()) {
    std::string path = (fs::path(p.dir) / name).string();
    if (!fs::exists(path))
      throw std::runtime_error("model package " + p.dir + " is incomplete: " + name +
                               " is missing; copy the whole package folder again");
    if (sha256_of_file(path) != expected.get<std::string>())
      throw std::runtime_error("model package " + p.dir + " is damaged: " + name +
                               " does not match its checksum; copy the package again");
  }
}

}  // namespace

Preprocessing Preprocessing::from_json(const nlohmann::json& j, Preprocessing d) {
  d.exif_orientation =
      setting<std::string>(j, "orientation", d.exif_orientation ? "exif" : "none") == "exif";
  d.resize = setting<std::string>(j, "resize", d.resize);
  if (d.resize != "custom-vision" && d.resize != "shorter-side" && d.resize != "stretch")
    throw SettingError("'resize' must be custom-vision, shorter-side or stretch, not " + d.resize);
  d.resize_to = positive_or_zero(j, "resizeTo", d.resize_to);
  if (j.contains("resizeShorter")) {  // the older spelling
    d.resize = "shorter-side";
    d.resize_to = positive_or_zero(j, "resizeShorter", d.resize_to);
  }
  d.input_width = positive_or_zero(j, "inputWidth", d.input_width);
  d.input_height =
      positive_or_zero(j, "inputHeight", j.contains("inputWidth") ? d.input_width : d.input_height);
  std::string order = setting<std::string>(j, "channelOrder", d.rgb ? "RGB" : "BGR");
  if (order != "RGB" && order != "BGR")
    throw SettingError("'channelOrder' must be RGB or BGR, not " + order);
  d.rgb = setting<bool>(j, "swapRB", order == "RGB");
  if (j.contains("mean")) {
    auto mean = setting<std::vector<double>>(j, "mean", {});
    if (mean.size() != 3) throw SettingError("'mean' must have 3 numbers, one per channel");
    d.mean = cv::Scalar(mean[0], mean[1], mean[2]);
  }
  d.scale = setting<double>(j, "scale", d.scale);
  d.softmax = setting<bool>(
      j, "softmax",
      setting<std::string>(j, "output", d.softmax ? "logits" : "probabilities") == "logits");
  return d;
}

nlohmann::json Preprocessing::to_json() const {
  return {{"orientation", exif_orientation ? "exif" : "none"},
          {"resize", resize},
          {"resizeTo", resize_to},
          {"inputWidth", input_width},
          {"inputHeight", input_height},
          {"channelOrder", rgb ? "RGB" : "BGR"},
          {"mean", {mean[0], mean[1], mean[2]}},
          {"scale", scale},
          {"output", softmax ? "logits" : "probabilities"}};
}

ModelPackage ModelPackage::resolve(const nlohmann::json& description) {
  nlohmann::json d =
      description.is_string() ? nlohmann::json{{"package", description}} : description;
  if (!d.is_object())
    throw SettingError("the model must be a path or an object {\"package\": ...}, not " + d.dump());
  ModelPackage p;
  std::string where;
  if (d.contains("package")) {
    where = setting<std::string>(d, "package", "");
    fs::path path = where;
    if (fs::is_regular_file(path) && path.filename() == kPackageFile) path = path.parent_path();
    if (fs::is_directory(path)) {
      p.dir = path.string();
      if (fs::exists(path / kPackageFile))
        read_package_json(p);
      else
        find_export_files(p);
    } else if (fs::is_regular_file(path)) {
      d["file"] = path.string();
    } else {
      throw std::runtime_error("model package " + where + " does not exist");
    }
  }
  if (d.contains("file")) {
    p.model_file = setting<std::string>(d, "file", "");
    p.labels_file = setting<std::string>(
        d, "labels", (fs::path(p.model_file).parent_path() / "labels.txt").string());
    p.name = fs::path(p.model_file).parent_path().filename().string();
  } else if (p.model_file.empty()) {
    throw SettingError(
        "the model description names no model: give {\"package\": FOLDER} or "
        "{\"file\": MODEL, \"labels\": LABELS}");
  }
  if (!fs::exists(p.model_file))
    throw std::runtime_error("model file " + p.model_file + " does not exist");
  if (!fs::exists(p.labels_file))
    throw std::runtime_error("labels file " + p.labels_file + " does not exist");
  if (p.info.empty() && is_tflite(p.model_file))
    p.preprocessing = tflite_preprocessing(p.model_file, p.preprocessing);
  p.preprocessing = Preprocessing::from_json(d, p.preprocessing);
  p.embedding_output =
      setting<std::string>(d, "embeddingOutput", p.info.value("embeddingOutput", std::string()));
  p.engine = setting<std::string>(d, "engine", p.info.value("engine", p.engine));
  if (p.engine != "integer" && p.engine != "float")
    throw SettingError(
        "engine must be \"integer\" (TensorFlow Lite files as quantized) or "
        "\"float\" (the dequantized reference), not \"" +
        p.engine + "\"");
  p.version = setting<std::string>(
      d, "version",
      p.iteration > 0 ? p.name + " iteration " + std::to_string(p.iteration) : p.name);
  return p;
}

}  // namespace ce
