// The Custom Vision prediction API, served over real HTTP on loopback.
#include "modules/classifier/rest_api.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <set>
#include <thread>

#include "vision_support.h"

using namespace ce::vision_testing;
using nlohmann::json;

namespace {

class RestApi : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = std::make_shared<ce::Model>(
        ce::Model::load(json{{"package", exports_dir() + "/azure_apples_bananas-tf"}}, 2));
  }
  void SetUp() override {
    served_ = std::make_unique<ce::ServedModel>(model_);
    ce::add_prediction_routes(server_, *served_, max_predictions_);
    port_ = server_.bind_to_any_port("127.0.0.1");
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
  httplib::Server server_;
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
  std::string corrupt = banana_.substr(0, 200);  // a JPEG cut short
  expect_error(c.Post("/image", corrupt, "image/jpeg"), 400, "not a readable image");
  expect_error(c.Post("/image", "", "image/jpeg"), 400, "no image");
  expect_error(c.Post("/image", "hello, I am text", "text/plain"), 400, "not a readable image");
  httplib::MultipartFormDataItems wrong_field = {{"picture", banana_, "b.jpg", "image/jpeg"}};
  expect_error(c.Post("/image", wrong_field), 400, "imageData");
  expect_error(c.Post("/url", "{\"link\": 1}", "application/json"), 400, "{\"url\"");
  expect_error(c.Post("/url", json{{"url", "ftp://example.com/a.jpg"}}.dump(), "application/json"),
               400, "only http:// and file://");
  expect_error(c.Post("/url", json{{"url", "file:///no/such/file.jpg"}}.dump(), "application/json"),
               400, "cannot read");
  std::string big(5 * 1024 * 1024, 'x');
  auto r = c.Post("/image", big, "image/jpeg");
  expect_error(r, 413, "4 MB");
  expect_error(c.Get("/nothing"), 404, "POST /image");
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
