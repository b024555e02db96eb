// Evaluation metrics against values worked out by hand, and data sets.
#include "training/metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "training/dataset.h"
#include "training/report_plots.h"

namespace fs = std::filesystem;

TEST(Metrics, AHandMadeCaseGivesTheHandComputedValues) {
  ce::EvaluationInput in;
  in.tags = {"A", "B", "C"};
  in.truth = {0, 0, 1, 2};
  in.probabilities = {{0.72f, 0.18f, 0.10f},   // A, right
                      {0.28f, 0.62f, 0.10f},   // A, called B; A second
                      {0.10f, 0.82f, 0.08f},   // B, right
                      {0.52f, 0.08f, 0.40f}};  // C, called A; C second
  in.coarse_names = {"X", "Y"};
  in.coarse_of_tag = {0, 0, 1};
  in.threshold = 0.5;
  auto e = ce::evaluate(in);
  const auto& m = e.metrics;
  EXPECT_DOUBLE_EQ(m["top1"], 0.5);
  EXPECT_DOUBLE_EQ(m["top3"], 1.0);
  EXPECT_DOUBLE_EQ(m["coarseTop1"], 0.75);  // C's image sums to X 0.6 vs Y 0.4
  // At 0.5: A is predicted for images 0 and 3 (one right), B for 1 and 2
  // (one right), C for none.
  EXPECT_DOUBLE_EQ(m["perTag"][0]["precision"], 0.5);
  EXPECT_DOUBLE_EQ(m["perTag"][0]["recall"], 0.5);
  EXPECT_DOUBLE_EQ(m["perTag"][1]["precision"], 0.5);
  EXPECT_DOUBLE_EQ(m["perTag"][1]["recall"], 1.0);
  EXPECT_DOUBLE_EQ(m["perTag"][2]["precision"], 0.0);
  EXPECT_DOUBLE_EQ(m["perTag"][2]["recall"], 0.0);
  EXPECT_DOUBLE_EQ(m["precision"], 0.5);
  EXPECT_DOUBLE_EQ(m["recall"], 0.5);
  // A ranked by p(A): image 0 (A), 3 (C), 1 (A): AP = (1/1 + 2/3) / 2.
  EXPECT_NEAR(m["perTag"][0]["averagePrecision"].get<double>(), (1 + 2.0 / 3) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(m["perTag"][1]["averagePrecision"], 1.0);
  EXPECT_DOUBLE_EQ(m["perTag"][2]["averagePrecision"], 1.0);
  EXPECT_NEAR(m["meanAveragePrecision"].get<double>(), (5.0 / 6 + 2) / 3, 1e-12);
  // One image per confidence bin: |1-0.72|, |0-0.62|, |1-0.82|, |0-0.52|, averaged.
  EXPECT_NEAR(m["expectedCalibrationError"].get<double>(), 0.4, 1e-6);
  std::vector<std::vector<int>> confusion = {{1, 1, 0}, {0, 1, 0}, {1, 0, 0}};
  EXPECT_EQ(e.confusion, confusion);
  EXPECT_EQ(m["worstConfusions"],
            nlohmann::json::parse(R"([{"truth": "A", "predicted": "B", "photos": 1, "ofPhotos": 2},
                                      {"truth": "C", "predicted": "A", "photos": 1, "ofPhotos": 1}])"));

  fs::path dir = fs::path(testing::TempDir()) / ("eval-" + std::to_string(getpid()));
  ce::write_evaluation(e, in.tags, dir.string());
  for (const char* f : {"metrics.json", "confusion.csv", "confusion.png", "reliability.png"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  std::ifstream csv(dir / "confusion.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  EXPECT_EQ(header, "truth\\predicted,A,B,C");
  EXPECT_EQ(row, "A,1,1,0");
}

// Reads the drawn picture back: a cell is "filled" when the pixel a
// quarter of the way into it (away from the diagonal line and the class
// separators) is not white.
std::vector<std::vector<bool>> filled_cells(const std::string& png, const ce::ConfusionPicture& p,
                                            int n) {
  cv::Mat img = cv::imread(png);
  std::vector<std::vector<bool>> filled(n, std::vector<bool>(n));
  double w = double(p.right - p.left) / n, h = double(p.bottom - p.top) / n;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      cv::Vec3b px = img.at<cv::Vec3b>(int(p.top + (r + 0.75) * h), int(p.left + (c + 0.25) * w));
      filled[r][c] = px[0] + px[1] + px[2] < 600;
    }
  return filled;
}

TEST(Metrics, APerfectModelsConfusionMatrixIsDrawnAsACleanDiagonal) {
  fs::path dir = fs::path(testing::TempDir()) / ("confusion-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (int n : {6, 81}) {
    std::vector<std::vector<int>> confusion(n, std::vector<int>(n, 0));
    std::vector<std::string> tags;
    std::vector<int> coarse;
    for (int i = 0; i < n; ++i) {
      confusion[i][i] = 5 + i % 3;
      tags.push_back("product " + std::to_string(i));
      coarse.push_back((n - i) / 4);  // sorted differently from the tags
    }
    std::string png = (dir / ("perfect-" + std::to_string(n) + ".png")).string();
    ce::ConfusionPicture p = ce::plot_confusion(png, confusion, tags, coarse, {});
    ASSERT_EQ(p.order.size(), size_t(n));
    auto filled = filled_cells(png, p, n);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        EXPECT_EQ(filled[r][c], r == c) << n << " products: row " << r << ", column " << c;
  }
  // One photo of product 0 taken for product 2: that cell, in its row, half full.
  std::vector<std::vector<int>> confusion = {{1, 0, 1}, {0, 2, 0}, {0, 0, 2}};
  std::string png = (dir / "one-wrong.png").string();
  ce::ConfusionPicture p = ce::plot_confusion(png, confusion, {"a", "b", "c"}, {0, 0, 0}, {});
  auto filled = filled_cells(png, p, 3);
  EXPECT_EQ(filled, (std::vector<std::vector<bool>>{
                        {true, false, true}, {false, true, false}, {false, false, true}}));
}

TEST(Dataset, ReadsTagFoldersAndListFilesAndSaysWhatIsWrong) {
  fs::path dir = fs::path(testing::TempDir()) / ("data-" + std::to_string(getpid()));
  fs::remove_all(dir);
  for (const char* tag : {"Banana", "Lemon"}) {
    fs::create_directories(dir / "folders" / tag);
    for (int i = 0; i < (tag[0] == 'B' ? 12 : 3); ++i)
      std::ofstream(dir / "folders" / tag / (std::to_string(i) + ".jpg")) << "x";
  }
  auto d = ce::load_dataset((dir / "folders").string());
  EXPECT_EQ(d.tags, (std::vector<std::string>{"Banana", "Lemon"}));
  EXPECT_EQ(d.counts(), (std::vector<int>{12, 3}));
  try {
    ce::check_trainable(d);
    FAIL() << "a tag with 3 images must stop training";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("Lemon (3)"), std::string::npos) << e.what();
  }
  for (int i = 3; i < 5; ++i)
    std::ofstream(dir / "folders" / "Lemon" / (std::to_string(i) + ".jpg")) << "x";
  d = ce::load_dataset((dir / "folders").string());
  ce::check_trainable(d);
  ASSERT_EQ(d.warnings.size(), 1u);  // 12 against 5 is more than 2:1
  EXPECT_NE(d.warnings[0].find("out of balance"), std::string::npos);

  std::ofstream(dir / "classes.csv")
      << "Class Name (str),Class ID (int),Coarse Class Name (str),"
         "Coarse Class ID (int)\nGala,0,Apple,0\nBanana,1,Banana,1\n";
  std::ofstream(dir / "list.txt") << "a/1.jpg, 0, 0\na/2.jpg, 1, 1\n";
  d = ce::load_dataset((dir / "list.txt").string());
  EXPECT_EQ(d.tags, (std::vector<std::string>{"Gala", "Banana"}));
  EXPECT_EQ(d.coarse_names, (std::vector<std::string>{"Apple", "Banana"}));
  EXPECT_EQ(d.samples[1].path, (dir / "a/2.jpg").string());
  std::ofstream(dir / "bad.txt") << "a/1.jpg, 0, 0\na/2.jpg; 1\n";
  try {
    ce::load_dataset((dir / "bad.txt").string());
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ce::load_dataset((dir / "nowhere").string()), std::runtime_error);
}
