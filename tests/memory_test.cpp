// The lane's memory: kept across restarts, a torn record cut off, bounded,
// taken back; the blend it makes with the model; the thresholds its own
// outcomes set.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "modules/classifier/exemplar_memory.h"
#include "modules/classifier/memory_blend.h"

namespace fs = std::filesystem;
using namespace ce;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / ("memory-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  return d;
}

// A 1024-value embedding near one of a few "products": what a network's
// pooled features of two photos of one product look like to each other.
std::vector<float> photo_of(int product, std::mt19937& rng, float noise = 0.3f) {
  std::normal_distribution<float> n(0, 1);
  std::mt19937 base(1000 + product);
  std::vector<float> v(1024);
  for (auto& x : v) x = std::max(0.f, n(base) + noise * n(rng));
  return v;
}

Example example(ExemplarMemory& m, const std::string& tag, const std::vector<float>& raw,
                const std::string& scene, bool against = false) {
  Example e;
  e.tag = tag;
  e.against = against;
  e.source = "answer";
  e.scene = scene;
  e.vector = m.project(raw);
  return e;
}

}  // namespace

TEST(ExemplarMemory, KeepsWhatItLearntAcrossARestartAndFindsTheSameProduct) {
  fs::path dir = fresh_dir("restart");
  std::mt19937 rng(1);
  {
    ExemplarMemory m(dir, "pkg 1", 1024);
    for (int i = 0; i < 10; ++i) {
      m.add(example(m, "satsuma", photo_of(1, rng), "s" + std::to_string(i)), "jpegbytes");
      m.add(example(m, "lemon", photo_of(2, rng), "l" + std::to_string(i)));
    }
    EXPECT_EQ(m.size(), 20u);
    EXPECT_EQ(m.dimension(), 256u);
  }
  ExemplarMemory m(dir, "pkg 1", 1024);
  ASSERT_EQ(m.size(), 20u);
  auto near = m.nearest(m.project(photo_of(1, rng)), 5);
  ASSERT_EQ(near.size(), 5u);
  for (auto& n : near) EXPECT_EQ(m.examples()[n.index].tag, "satsuma");
  EXPECT_GT(near.front().similarity, 0.8f);
  // The photo is kept, 0600, for retraining.
  uint64_t id = m.examples().front().id;
  ASSERT_TRUE(fs::exists(m.photo_of(id)));
  EXPECT_EQ(fs::status(m.photo_of(id)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir / "memory.log").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(ExemplarMemory, AKillInTheMiddleOfARecordLosesThatRecordAlone) {
  fs::path dir = fresh_dir("torn");
  std::mt19937 rng(2);
  {
    ExemplarMemory m(dir, "pkg", 1024);
    for (int i = 0; i < 5; ++i) m.add(example(m, "kiwi", photo_of(3, rng), std::to_string(i)));
  }
  // Half of a sixth record, as a kill -9 during its write leaves it.
  std::string whole;
  {
    std::ifstream in(dir / "memory.log", std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto size = whole.size();
  {
    ExemplarMemory m(dir, "pkg", 1024);
    m.add(example(m, "kiwi", photo_of(3, rng), "6"));
  }
  fs::resize_file(dir / "memory.log", size + (fs::file_size(dir / "memory.log") - size) / 2);
  ExemplarMemory m(dir, "pkg", 1024);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(fs::file_size(dir / "memory.log"), size) << "the torn tail is cut off";
  m.add(example(m, "kiwi", photo_of(3, rng), "7"));
  ExemplarMemory again(dir, "pkg", 1024);
  EXPECT_EQ(again.size(), 6u) << "what is learnt after the cut is kept";
}

TEST(ExemplarMemory, AFolderOfAnotherPackagesMemoryIsRefused) {
  fs::path dir = fresh_dir("identity");
  { ExemplarMemory m(dir, "grocery iteration 1", 1024); }
  try {
    ExemplarMemory m(dir, "grocery iteration 2", 1024);
    FAIL() << "opened another package's memory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("grocery iteration 1"), std::string::npos) << e.what();
  }
}

TEST(ExemplarMemory, StaysWithinItsLimitsDroppingTheLeastUsefulFirst) {
  fs::path dir = fresh_dir("limits");
  std::mt19937 rng(3);
  MemoryLimits limits;
  limits.max_per_tag = 8;
  limits.max_examples = 20;
  limits.max_photos = 5;
  ExemplarMemory m(dir, "pkg", 1024, limits);
  for (int i = 0; i < 30; ++i)
    m.add(example(m, "apple", photo_of(4, rng), "a" + std::to_string(i)), "jpeg");
  EXPECT_EQ(m.size(), 8u);
  for (int p = 5; p < 9; ++p)
    for (int i = 0; i < 6; ++i)
      m.add(example(m, "p" + std::to_string(p), photo_of(p, rng), std::to_string(p * 100 + i)));
  EXPECT_LE(m.size(), 20u);
  size_t photos = 0;
  for (auto& f : fs::directory_iterator(dir / "photos")) photos += f.path().extension() == ".jpg";
  EXPECT_LE(photos, 5u);
  ExemplarMemory again(dir, "pkg", 1024, limits);
  EXPECT_EQ(again.size(), m.size());
}

TEST(ExemplarMemory, ForgettingAnExampleATagOrAScenePersists) {
  fs::path dir = fresh_dir("forget");
  std::mt19937 rng(4);
  uint64_t wrong;
  {
    ExemplarMemory m(dir, "pkg", 1024);
    wrong = m.add(example(m, "lime", photo_of(6, rng), "x1"), "jpeg");
    m.add(example(m, "lemon", photo_of(6, rng), "x2"));
    m.add(example(m, "lemon", photo_of(6, rng), "x3"));
    m.add(example(m, "kiwi", photo_of(7, rng), "x4"));
    EXPECT_TRUE(m.forget(wrong));
    EXPECT_FALSE(fs::exists(m.photo_of(wrong)));
    EXPECT_EQ(m.forget_tag("lemon"), 2u);
    EXPECT_EQ(m.forget_scene("x4"), 1u);
  }
  ExemplarMemory m(dir, "pkg", 1024);
  EXPECT_EQ(m.size(), 0u);
}

TEST(ExemplarMemory, ANewerDecisionAboutASceneReplacesTheOlder) {
  fs::path dir = fresh_dir("replace");
  std::mt19937 rng(5);
  ExemplarMemory m(dir, "pkg", 1024);
  auto raw = photo_of(8, rng);
  m.add(example(m, "lime", raw, "scene-1"));
  m.add(example(m, "lime", raw, "scene-1", true));  // voided: evidence against, not for
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.examples().front().against);
  m.add(example(m, "lemon", raw, "scene-1"));  // staff's correction
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.examples().front().tag, "lemon");
}

TEST(ExemplarMemory, ThresholdsComeOnlyFromOutcomesEnoughToMeasureTheRisk) {
  fs::path dir = fresh_dir("outcomes");
  {
    ExemplarMemory m(dir, "pkg", 1024);
    for (int i = 0; i < 50; ++i) m.record_outcome({0.97, true});
    EXPECT_FALSE(m.thresholds_at_risk().contains("0.01")) << "50 scans cannot show 1%";
    for (int i = 0; i < 150; ++i) m.record_outcome({0.95, true});
    for (int i = 0; i < 40; ++i) m.record_outcome({0.6, i % 2 == 0});
  }
  ExemplarMemory m(dir, "pkg", 1024);
  auto t = m.thresholds_at_risk();
  ASSERT_TRUE(t.contains("0.01")) << t.dump();
  EXPECT_GT(t["0.01"].get<double>(), 0.6);
  EXPECT_LE(t["0.01"].get<double>(), 0.95);
}

TEST(MemoryBlend, APhotoLikeALearntOneIsKnownEvenForATagTheModelLacks) {
  fs::path dir = fresh_dir("blend");
  std::mt19937 rng(6);
  ExemplarMemory m(dir, "pkg", 1024);
  for (int i = 0; i < 5; ++i) m.add(example(m, "satsuma", photo_of(9, rng), std::to_string(i)));
  std::vector<Prediction> model{{"orange", 0, 0.55f}, {"lemon", 1, 0.45f}};
  auto near = m.nearest(m.project(photo_of(9, rng)), 5);
  BlendRule half{5, 0.5, 0.5f, 0.5f, 0.05f};  // half and half once past 0.5
  auto out = blend(model, m, near, half);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().tag_name, "satsuma");
  EXPECT_NEAR(out.front().probability, 0.5, 0.01);
  // Less close, less said: the share ramps up to the rule's weight.
  BlendRule ramped{5, 0.5, near.front().similarity - 0.2f, near.front().similarity + 0.2f, 0.05f};
  EXPECT_NEAR(blend(model, m, near, ramped).front().probability, 0.55 * 0.75, 0.02);
  // A photo of something else: the memory is not close, the model stands.
  auto far = m.nearest(m.project(photo_of(10, rng)), 5);
  auto alone = blend(model, m, far);
  EXPECT_EQ(alone.front().tag_name, "orange");
  EXPECT_FLOAT_EQ(alone.front().probability, 0.55f);
}

TEST(MemoryBlend, EvidenceAgainstATagLowersIt) {
  fs::path dir = fresh_dir("against");
  std::mt19937 rng(7);
  ExemplarMemory m(dir, "pkg", 1024);
  for (int i = 0; i < 3; ++i) m.add(example(m, "lime", photo_of(11, rng), std::to_string(i), true));
  std::vector<Prediction> model{{"lime", 0, 0.7f}, {"lemon", 1, 0.3f}};
  auto out = blend(model, m, m.nearest(m.project(photo_of(11, rng)), 5));
  ASSERT_EQ(out.size(), 2u);
  // Lime is less likely; lemon is no surer for it (it would be accepted
  // for what it is not shown to be).
  EXPECT_EQ(out.front().tag_name, "lemon");
  EXPECT_FLOAT_EQ(out.front().probability, 0.3f);
  EXPECT_LT(out.back().probability, 0.3f);
}

// A real kill -9 while examples are being kept: the memory opens, holds
// every example whose keeping finished, and at most one fewer.
TEST(ExemplarMemory, AKill9WhileKeepingExamplesLosesAtMostTheOneInFlight) {
  fs::path dir = fresh_dir("kill");
  int done[2];
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  if (child == 0) {
    close(done[0]);
    std::mt19937 rng(8);
    ExemplarMemory m(dir, "pkg", 1024);
    for (uint32_t i = 1;; ++i) {
      m.add(example(m, "t" + std::to_string(i % 7), photo_of(int(i % 7), rng), std::to_string(i)),
            std::string(20000, 'j'));
      if (write(done[1], &i, sizeof i) != sizeof i) _exit(1);
    }
  }
  close(done[1]);
  uint32_t kept = 0, n;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(700) &&
         read(done[0], &n, sizeof n) == sizeof n)
    kept = n;
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  while (read(done[0], &n, sizeof n) == sizeof n) kept = n;
  close(done[0]);
  ASSERT_GT(kept, 5u) << "the child kept too few examples to test anything";
  ExemplarMemory m(dir, "pkg", 1024);
  EXPECT_GE(m.size(), kept);
  EXPECT_LE(m.size(), kept + 1) << "at most the example being written when it was killed";
  m.add(example(m, "after", photo_of(1, *std::make_unique<std::mt19937>(9)), "after"));
  ExemplarMemory again(dir, "pkg", 1024);
  EXPECT_EQ(again.size(), m.size());
}
