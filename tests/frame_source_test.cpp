// Frame sources other than a local camera: a network camera streaming MJPEG
// over HTTP (read through OpenCV's FFmpeg backend), a video file, one image.
#include "modules/camera/frame_source.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "vision_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

TEST(FrameSource, ReadsANetworkCameraStreamingMjpegOverHttp) {
  cv::Mat banana = cv::imread(ce::vision_testing::photos("/Banana/", 1).at(0));
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", banana, jpeg);
  std::string part(jpeg.begin(), jpeg.end());
  std::atomic<bool> stopping = false;
  httplib::Server camera;  // what an IP camera's /video.mjpg serves
  camera.Get("/video.mjpg", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "multipart/x-mixed-replace; boundary=frame", [&](size_t, httplib::DataSink& sink) {
          std::string head = "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                             std::to_string(part.size()) + "\r\n\r\n";
          std::this_thread::sleep_for(std::chrono::milliseconds(40));
          return !stopping && sink.write(head.data(), head.size()) &&
                 sink.write(part.data(), part.size()) && sink.write("\r\n", 2);
        });
  });
  int port = camera.bind_to_any_port("127.0.0.1");
  std::thread server([&] { camera.listen_after_bind(); });

  auto source = ce::open_frame_source(
      json{{"source", "http://127.0.0.1:" + std::to_string(port) + "/video.mjpg"}});
  for (int i = 0; i < 3; ++i) {
    auto frame = source->next(nullptr);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->size(), banana.size());
  }
  EXPECT_EQ(source->report()["backend"], "FFMPEG");
  stopping = true;
  source.reset();
  camera.stop();
  server.join();
}

TEST(FrameSource, PlaysAVideoFileInALoopAndNamesMissingSources) {
  fs::path video = fs::path(testing::TempDir()) / ("clip-" + std::to_string(getpid()) + ".avi");
  {
    cv::VideoWriter w(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                      cv::Size(160, 120));
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 5; ++i) w.write(cv::Mat(120, 160, CV_8UC3, cv::Scalar(i * 40, 0, 0)));
  }
  auto source = ce::open_frame_source(json{{"source", video.string()}});
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(source->next(nullptr)) << "frame " << i;
  fs::remove(video);

  try {
    ce::open_frame_source(json{{"source", "/nowhere/clip.mp4"}});
    FAIL() << "a missing file must not open";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  try {
    ce::open_frame_source(json{{"source", "/dev/video99"}});
    FAIL() << "a missing camera must not open";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("plugged in"), std::string::npos) << e.what();
  }
}
