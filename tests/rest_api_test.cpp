// The Custom Vision prediction API, served over real HTTP on loopback.
#include "modules/classifier/rest_api.h"

#include <gif_lib.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <future>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <thread>

#include "image_bombs.h"
#include "modules/classifier/preprocess.h"
#include "slow_clients.h"
#include "vision_support.h"

using namespace ce::vision_testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class RestApi : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = std::make_shared<ce::Model>(
        ce::Model::load(json{{"package", exports_dir() + "/azure_apples_bananas-tf"}}, 2));
  }
  void SetUp() override {
    served_ = std::make_unique<ce::ServedModel>(model_);
    // The shared photos may be fetched by file://, and the test's own image
    // server on loopback by http://.
    ce::RestLimits limits;
    limits.url_folders = {fs::path(photos("/Banana/", 1).at(0)).parent_path().string()};
    limits.url_loopback = true;
    ce::add_prediction_routes(server_, *served_, max_predictions_, limits);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ce::deepen_backlog(server_);
    thread_ = std::thread([&] { server_.listen_after_bind(); });
    banana_ = read_bytes(photos("/Banana/", 1).at(0));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(20, 0);
    return c;
  }
  static json body_of(const httplib::Result& r) { return json::parse(r->body); }

  static std::shared_ptr<ce::Model> model_;
  std::unique_ptr<ce::ServedModel> served_;
  std::atomic<size_t> max_predictions_ = 10;
  ce::GuardedServer server_{ce::kRestConnections};
  std::thread thread_;
  int port_ = 0;
  std::string banana_;
};
std::shared_ptr<ce::Model> RestApi::model_;

TEST_F(RestApi, ImageBytesGetTheContainersResponseShape) {
  auto r = client().Post("/image", banana_, "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json b = body_of(r);
  for (const char* field : {"id", "project", "iteration", "created", "predictions"})
    EXPECT_TRUE(b.contains(field)) << field;
  EXPECT_EQ(b["iteration"], "azure_apples_bananas-tf");
  ASSERT_EQ(b["predictions"].size(), 2u);
  EXPECT_EQ(b["predictions"][0]["tagName"], "Banana");
  EXPECT_GE(b["predictions"][0]["probability"].get<double>(),
            b["predictions"][1]["probability"].get<double>());
  EXPECT_TRUE(b["predictions"][0]["boundingBox"].is_null());
  EXPECT_TRUE(b["predictions"][0].contains("tagId"));
}

TEST_F(RestApi, MultipartProjectRoutesAndUrlsAnswerTheSame) {
  auto c = client();
  httplib::MultipartFormDataItems form = {{"imageData", banana_, "banana.jpg", "image/jpeg"}};
  auto r = c.Post("/image", form);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto expected = body_of(r)["predictions"];

  r = c.Post("/shop/classify/iterations/Iteration7/image", banana_, "application/octet-stream");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_of(r)["project"], "shop");
  EXPECT_EQ(body_of(r)["iteration"], "Iteration7");
  EXPECT_EQ(body_of(r)["predictions"], expected);
  r = c.Post("/shop/classify/iterations/Iteration7/image/nostore", form);
  ASSERT_EQ(r->status, 200) << r->body;

  std::string file = photos("/Banana/", 1).at(0);
  r = c.Post("/url", json{{"url", "file://" + file}}.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_of(r)["predictions"], expected);

  // An image on a web server (another process's, as a store's would be).
  httplib::Server images;
  images.Get("/banana.jpg", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(banana_, "image/jpeg");
  });
  int port = images.bind_to_any_port("127.0.0.1");
  std::thread t([&] { images.listen_after_bind(); });
  r = c.Post("/shop/classify/iterations/Iteration7/url",
             json{{"url", "http://127.0.0.1:" + std::to_string(port) + "/banana.jpg"}}.dump(),
             "application/json");
  images.stop();
  t.join();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_of(r)["predictions"], expected);
}

TEST_F(RestApi, BadRequestsGetAStatusAndAMessage) {
  auto c = client();
  auto expect_error = [&](const httplib::Result& r, int status, const std::string& words) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    json b = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(b.is_object()) << r->body;
    EXPECT_NE(b.value("message", "").find(words), std::string::npos) << r->body;
  };
  std::string corrupt = banana_.substr(0, 200);  // a JPEG's headers only
  expect_error(c.Post("/image", corrupt, "image/jpeg"), 400, "not a readable image");
  expect_error(c.Post("/image", "", "image/jpeg"), 400, "no image");
  expect_error(c.Post("/image", "hello, I am text", "text/plain"), 400, "not a readable image");
  httplib::MultipartFormDataItems wrong_field = {{"picture", banana_, "b.jpg", "image/jpeg"}};
  expect_error(c.Post("/image", wrong_field), 400, "imageData");
  expect_error(c.Post("/url", "{\"link\": 1}", "application/json"), 400, "{\"url\"");
  expect_error(c.Post("/url", json{{"url", "ftp://example.com/a.jpg"}}.dump(), "application/json"),
               400, "only http:// and https://");
  expect_error(c.Post("/url", std::string(70 * 1024, ' '), "application/json"), 413, "64 kB");
  expect_error(c.Post("/url", json{{"url", "file:///no/such/file.jpg"}}.dump(), "application/json"),
               400, "cannot read");
  std::string big(5 * 1024 * 1024, 'x');
  auto r = c.Post("/image", big, "image/jpeg");
  expect_error(r, 413, "4 MB");
  expect_error(c.Get("/nothing"), 404, "POST /image");

  // What the container's clients and curl send, and what they get wrong.
  expect_error(c.Post("/image", banana_.substr(0, banana_.size() / 2), "image/jpeg"), 400,
               "cut short");
  std::vector<uchar> png;
  cv::imencode(".png", cv::imread(photos("/Banana/", 1).at(0)), png);
  std::string png_bytes(png.begin(), png.end());
  expect_error(c.Post("/image", png_bytes.substr(0, png_bytes.size() - 100), "image/png"), 400,
               "cut short");
  // A small PNG whose header says 20000 x 20000: refused before a byte is decoded.
  std::string huge = png_bytes;
  for (int at : {16, 20}) huge.replace(at, 4, std::string("\x00\x00\x4e\x20", 4));
  expect_error(c.Post("/image", huge, "image/png"), 413, "20000 x 20000 pixels");
  expect_error(c.Post("/image", "--xyz\r\nContent-Disposition: form-data\r\n\r\nno end",
                      "multipart/form-data; boundary=xyz"),
               400, "multipart");
  r = c.Get("/image");
  expect_error(r, 405, "use POST");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  expect_error(c.Get("/shop/classify/iterations/It1/url"), 405, "use POST");
  expect_error(c.Post("/health", "", "text/plain"), 405, "use GET");
}

TEST_F(RestApi, TakesTheImageWhateverItsContentType) {
  // curl -d @banana.jpg sends a form's content type; httplib alone would
  // parse that as a form and refuse it over 8 kB.
  auto c = client();
  ASSERT_GT(banana_.size(), 8192u);
  auto reference = body_of(c.Post("/image", banana_, "application/octet-stream"))["predictions"];
  for (const char* type : {"application/x-www-form-urlencoded", "image/jpeg", "text/plain", ""}) {
    auto r = c.Post("/image", banana_, type);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << type << ": " << r->body;
    EXPECT_EQ(body_of(r)["predictions"], reference) << type;
  }
  // Custom Vision's tag ids are strings.
  EXPECT_TRUE(reference[0]["tagId"].is_string()) << reference;
}

// A GIF of the photo through giflib's own encoder (256 colours).
std::string gif_of(const cv::Mat& bgr) {
  int w = bgr.cols, h = bgr.rows;
  std::vector<GifByteType> r(w * h), g(w * h), b(w * h), indices(w * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      auto p = bgr.at<cv::Vec3b>(y, x);
      b[y * w + x] = p[0], g[y * w + x] = p[1], r[y * w + x] = p[2];
    }
  int colours = 256;
  std::vector<GifColorType> palette(256);
  EXPECT_EQ(GifQuantizeBuffer(w, h, &colours, r.data(), g.data(), b.data(), indices.data(),
                              palette.data()),
            GIF_OK);
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(
      &out,
      [](GifFileType* f, const GifByteType* data, int n) {
        static_cast<std::string*>(f->UserData)->append(reinterpret_cast<const char*>(data), n);
        return n;
      },
      &error);
  ColorMapObject* map = GifMakeMapObject(256, palette.data());
  EGifPutScreenDesc(gif, w, h, 8, 0, map);
  EGifPutImageDesc(gif, 0, 0, w, h, false, nullptr);
  for (int y = 0; y < h; ++y) EGifPutLine(gif, indices.data() + y * w, w);
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
  return out;
}

TEST_F(RestApi, ReadsGifAsCustomVisionDoes) {
  cv::Mat photo = cv::imread(photos("/Banana/", 1).at(0));
  std::string gif = gif_of(photo);
  ASSERT_EQ(gif.substr(0, 4), "GIF8");
  auto r = client().Post("/image", gif, "image/gif");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_of(r)["predictions"][0]["tagName"], "Banana");
  r = client().Post("/image", gif.substr(0, gif.size() / 2), "image/gif");
  EXPECT_EQ(r->status, 400) << r->body;
}

TEST_F(RestApi, SlowUrlsLeaveImagesServed) {
  // A web server that holds every request until the test lets it go.
  httplib::Server slow;
  slow.new_task_queue = [] { return new httplib::ThreadPool(24); };
  std::mutex m;
  std::condition_variable cv;
  int waiting = 0;
  bool release = false;
  slow.Get("/slow.jpg", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(m);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    res.set_content(banana_, "image/jpeg");
  });
  int port = slow.bind_to_any_port("127.0.0.1");
  std::thread t([&] { slow.listen_after_bind(); });
  // Its listen backlog is 5: connections made before it accepts are
  // dropped and retried, and under load a retry can outlast the fetch's
  // connect timeout, so that fewer than 16 ever arrive.
  while (!slow.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string url = json{{"url", "http://127.0.0.1:" + std::to_string(port) + "/slow.jpg"}}.dump();
  // One at a time until sixteen hang: a burst of connects overflows the
  // backlogs and a dropped one is retried only seconds later.
  std::vector<std::future<int>> fetches;
  for (int i = 0; i < 16; ++i) {
    fetches.push_back(std::async(std::launch::async, [&] {
      auto r = client().Post("/url", url, "application/json");
      return r ? r->status : -1;
    }));
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return waiting == i + 1; }))
        << "fetch " << i + 1 << " never reached the slow server";
  }
  // Sixteen fetches hang; an image is still classified, a 17th URL is told to wait.
  auto image = client().Post("/image", banana_, "image/jpeg");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200) << image->body;
  auto more = client().Post("/url", url, "application/json");
  ASSERT_TRUE(more);
  EXPECT_EQ(more->status, 503) << more->body;
  EXPECT_EQ(more->get_header_value("Retry-After"), "1");
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  for (auto& f : fetches) EXPECT_EQ(f.get(), 200);
  slow.stop();
  t.join();
}

TEST_F(RestApi, FetchesHttpsAndFollowsRedirectsWithinLimits) {
  // A self-signed certificate for 127.0.0.1, trusted only once the test says so.
  auto dir = std::filesystem::temp_directory_path() / ("ce-rest-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  httplib::SSLServer images(cert.c_str(), key.c_str());
  ASSERT_TRUE(images.is_valid());
  images.Get("/banana.jpg", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(banana_, "image/jpeg");
  });
  images.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/banana.jpg");
  });
  images.Get("/loop",
             [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
  int port = images.bind_to_any_port("127.0.0.1");
  std::thread t([&] { images.listen_after_bind(); });
  std::string base = "https://127.0.0.1:" + std::to_string(port);
  auto fetch = [&](const std::string& path) {
    return client().Post("/url", json{{"url", base + path}}.dump(), "application/json");
  };
  auto r = fetch("/banana.jpg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << "an untrusted certificate is refused";
  EXPECT_NE(r->body.find("certificate is not trusted"), std::string::npos) << r->body;

  setenv("SSL_CERT_FILE", cert.c_str(), 1);
  r = fetch("/banana.jpg");
  EXPECT_EQ(r->status, 200) << r->body;
  r = fetch("/moved");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_of(r)["predictions"][0]["tagName"], "Banana");
  r = fetch("/loop");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("too many redirects"), std::string::npos) << r->body;
  unsetenv("SSL_CERT_FILE");
  images.stop();
  t.join();
  std::filesystem::remove_all(dir);
}

TEST_F(RestApi, BeyondLoopbackEveryRequestNeedsTheKey) {
  httplib::Server keyed;
  ce::RestLimits limits;
  limits.key = "0123456789abcdef";
  ce::add_prediction_routes(keyed, *served_, max_predictions_, limits);
  int port = keyed.bind_to_any_port("127.0.0.1");
  std::thread t([&] { keyed.listen_after_bind(); });
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(20, 0);
  auto r = c.Post("/image", banana_, "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("Prediction-Key"), std::string::npos) << r->body;
  r = c.Post("/image", {{"Prediction-Key", "0123456789abcdeX"}}, banana_, "image/jpeg");
  EXPECT_EQ(r->status, 401);
  r = c.Post("/image", {{"Prediction-Key", limits.key}}, banana_, "image/jpeg");
  EXPECT_EQ(r->status, 200) << r->body;
  keyed.stop();
  t.join();
}

TEST_F(RestApi, ServesConcurrentRequestsWithTheSameAnswers) {
  auto reference = body_of(client().Post("/image", banana_, "image/jpeg"))["predictions"];
  std::vector<std::future<json>> answers;
  for (int i = 0; i < 6; ++i)
    answers.push_back(std::async(std::launch::async, [&] {
      auto c = client();
      json all = json::array();
      for (int k = 0; k < 4; ++k) {
        auto r = c.Post("/image", banana_, "image/jpeg");
        all.push_back(r && r->status == 200 ? body_of(r)["predictions"] : json());
      }
      return all;
    }));
  for (auto& a : answers)
    for (auto& p : a.get()) EXPECT_EQ(p, reference);
  auto health = client().Get("/health");
  ASSERT_EQ(health->status, 200);
  EXPECT_EQ(body_of(health)["model"]["modelVersion"], "azure_apples_bananas-tf");
}

TEST_F(RestApi, AModelSwapDropsNoRequestInFlight) {
  auto other = std::make_shared<ce::Model>(
      ce::Model::load(json{{"package", exports_dir() + "/snobu_apple_banana_dugong-tf"}}));
  std::atomic<bool> swapping = true;
  std::thread swapper([&] {
    for (int i = 0; swapping; ++i) {
      served_->set(i % 2 ? model_ : other);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  std::vector<std::future<std::set<std::string>>> answers;
  for (int i = 0; i < 4; ++i)
    answers.push_back(std::async(std::launch::async, [&] {
      auto c = client();
      std::set<std::string> iterations;
      for (int k = 0; k < 10; ++k) {
        auto r = c.Post("/image", banana_, "image/jpeg");
        iterations.insert(r && r->status == 200 ? body_of(r)["iteration"].get<std::string>()
                                                : "failed");
      }
      return iterations;
    }));
  std::set<std::string> seen;
  for (auto& a : answers) seen.merge(a.get());
  swapping = false;
  swapper.join();
  EXPECT_EQ(seen.count("failed"), 0u);
  EXPECT_EQ(seen.size(), 2u) << "both models answered while they were swapped";
}

}  // namespace

TEST_F(RestApi, FileAndLoopbackUrlsAreRefusedUnlessTheSettingsAllowThem) {
  // The API as a lane serves it by default.
  httplib::Server strict;
  ce::add_prediction_routes(strict, *served_, max_predictions_);
  int port = strict.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { strict.listen_after_bind(); });
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(20, 0);
  auto refused = [&](const std::string& url) {
    auto r = c.Post("/url", json{{"url", url}}.dump(), "application/json");
    if (!r) return std::string("no answer");
    EXPECT_EQ(r->status, 400) << url << " " << r->body;
    return json::parse(r->body, nullptr, false).value("message", "");
  };
  // No file:// at all, and the same answer whether the file exists or not.
  std::string shadow = refused("file:///etc/shadow"), none = refused("file:///etc/no-such-file");
  EXPECT_NE(shadow.find("urlFolders"), std::string::npos) << shadow;
  EXPECT_EQ(shadow, none);
  std::string photo = refused("file://" + photos("/Banana/", 1).at(0));
  EXPECT_NE(photo.find("urlFolders"), std::string::npos) << photo;
  // Nothing on this machine: the lane's own ports and other local services.
  std::string own = std::to_string(port_);
  for (std::string url : {"http://127.0.0.1:" + own + "/health", "http://localhost:" + own,
                          "http://127.1.2.3:" + own, "http://0.0.0.0:" + own, "http://[::1]:" + own,
                          "http://[::ffff:127.0.0.1]:" + own, "https://LOCALHOST:" + own})
    EXPECT_NE(refused(url).find("urlLoopback"), std::string::npos) << url;
  EXPECT_NE(refused("http://user@example.com/a.jpg").find("only http:// and https://"),
            std::string::npos);
  strict.stop();
  serving.join();

  // With a folder named, only what is in it: a link out of it is outside.
  fs::path folder = fs::path(testing::TempDir()) / ("url-folder-" + std::to_string(getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder / "photos");
  fs::copy_file(photos("/Banana/", 1).at(0), folder / "photos/banana.jpg");
  fs::create_symlink("/etc/passwd", folder / "photos/passwd.jpg");
  httplib::Server named;
  ce::RestLimits limits;
  limits.url_folders = {(folder / "photos").string()};
  ce::add_prediction_routes(named, *served_, max_predictions_, limits);
  port = named.bind_to_any_port("127.0.0.1");
  std::thread serving_named([&] { named.listen_after_bind(); });
  httplib::Client n("127.0.0.1", port);
  n.set_read_timeout(20, 0);
  auto r = n.Post("/url", json{{"url", "file://" + (folder / "photos/banana.jpg").string()}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  for (std::string path :
       {(folder / "photos/passwd.jpg").string(), (folder / "photos/../../../etc/passwd").string(),
        std::string("/etc/passwd")}) {
    r = n.Post("/url", json{{"url", "file://" + path}}.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_NE(r->body.find("only files under"), std::string::npos) << path << r->body;
  }
  named.stop();
  serving_named.join();
  fs::remove_all(folder);
}

TEST_F(RestApi, DecompressionBombsAreRefusedFromTheirHeadersWhereverTheyEnter) {
  using ce::testing_support::gif_with_frame;
  using ce::testing_support::png_saying;
  auto c = client();
  // A 1 x 1 screen holding one 32000 x 32000 frame (a gigabyte to giflib).
  std::string gif = gif_with_frame(32000, 32000);
  ASSERT_LT(gif.size(), 100u);
  auto r = c.Post("/image", gif, "image/gif");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_NE(r->body.find("megapixels"), std::string::npos) << r->body;
  r = c.Post("/image", png_saying(20000, 20000), "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;

  // The decoder behind the hub's frames, replays and what the lane learns:
  // the same limit, before any pixel is allocated.
  for (const std::string& bomb : {gif, png_saying(10000, 10000)}) {
    try {
      ce::decode_image(bomb, true);
      ADD_FAILURE() << "decoded a bomb";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("megapixels"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(ce::decode_image(banana_, true).empty());
}

// Two hundred clients that never finish their headers hold a thread each,
// not the API: a real request is answered at once.
TEST_F(RestApi, SlowClientsLeaveImagesServedAndAreCutOff) {
  ce::testing_support::SlowClients slow(port_, 200, 25);
  ASSERT_EQ(slow.connected(), 200u);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // each has sent a line more
  // (How fast: bench/slow_clients.py. Held, it would wait as long as they do.)
  auto c = client();
  auto r = c.Post("/image", banana_, "application/octet-stream");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // Their requests' deadline (10 s) passed, none is still waited for.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (slow.let_go() < slow.connected() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(slow.let_go(), slow.connected())
      << slow.let_go() << " of " << slow.connected() << " slow clients let go";
}
