#include "modules/checkout/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "checkout-edge/module.h"
#include "modules/checkout/damaged_journal.h"

TEST(Journal, KeepsLinesAcrossReopeningAndAddsAScanOnce) {
  std::string path = testing::TempDir() + "/journal_test.db";
  std::filesystem::remove(path);
  {
    ce::Journal j(path);
    ce::BasketLine a{0, "scan-1", 1, "4011", "Banana", 420, 1, 299, true, 126, "USD", 0.9};
    ce::BasketLine b{0, "scan-2", 2, "3127", "Pomegranate", 310, 1, 199, false, 199, "USD", 0.8};
    EXPECT_TRUE(j.add(a));
    EXPECT_TRUE(j.add(b));
    ce::BasketLine again = a;
    EXPECT_FALSE(j.add(again));  // the same scan delivered twice
    EXPECT_EQ(j.lines().size(), 2u);
  }
  ce::Journal reopened(path);
  auto lines = reopened.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].name, "Banana");
  EXPECT_EQ(lines[0].grams, 420);
  EXPECT_EQ(lines[0].price_minor, 126);
  EXPECT_FALSE(lines[1].by_weight);
  EXPECT_EQ(lines[0].price_minor + lines[1].price_minor, 325);
}

// A checkout and its restart (or check) may open a new journal at the same
// moment: both must find it whole, neither fail on its upgrade.
TEST(Journal, TwoOpeningANewJournalAtOnceBothGetIt) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(testing::TempDir()) / ("journal-race-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::atomic<int> failed = 0;
  std::mutex mutex;
  std::string why;
  for (int round = 0; round < 40; ++round) {
    std::string path = (dir / ("j" + std::to_string(round) + ".db")).string();
    std::atomic<int> ready = 0;
    auto open = [&] {
      ++ready;
      while (ready < 2) {
      }
      try {
        ce::Journal journal(path);
      } catch (const std::exception& e) {
        ++failed;
        std::lock_guard lock(mutex);
        why = e.what();
      }
    };
    std::thread other(open);
    open();
    other.join();
  }
  EXPECT_EQ(failed, 0) << why;
  fs::remove_all(dir);
}

TEST(Journal, SaysWhichFileCannotBeOpened) {
  try {
    ce::Journal j("/nonexistent-dir/journal.db");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/journal.db"), std::string::npos);
  }
}

TEST(Journal, RemembersTheItemOnTheScaleWithItsLine) {
  std::string path = testing::TempDir() + "/journal_scale.db";
  std::filesystem::remove(path);
  {
    ce::Journal j(path);
    EXPECT_FALSE(j.item_on_scale());
    ce::BasketLine a{0, "scan-1", 1, "4011", "Banana", 420, 1, 299, true, 126, "USD", 0.9};
    ASSERT_TRUE(j.add(a));
  }
  {
    ce::Journal j(path);  // as after kill -9
    ASSERT_TRUE(j.item_on_scale());
    EXPECT_EQ(*j.item_on_scale(), 420);
    j.set_item_on_scale(std::nullopt);
  }
  EXPECT_FALSE(ce::Journal(path).item_on_scale());
}

TEST(Journal, SaysWhatAProductWeighedInEveryBasketLeavingVoidsOut) {
  std::string path = testing::TempDir() + "/journal_weights.db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  ce::Journal j(path);
  auto add = [&](const std::string& scan, const std::string& product, int grams) {
    ce::BasketLine l{0, scan, 1, product, product, grams, 1, 299, true, 100, "USD", 0.9};
    EXPECT_TRUE(j.add(l));
    return l.line_no;
  };
  add("s1", "4011", 400);
  add("s2", "4053", 120);
  j.close_basket("paid", {{"basket", 1}});
  add("s3", "4011", 450);
  long long voided = add("s4", "4011", 9000);
  EXPECT_TRUE(j.void_line(voided));
  EXPECT_EQ(j.weights_of("4011"), (std::vector<int>{450, 400}));  // newest first
  EXPECT_EQ(j.weights_of("4011", 1), (std::vector<int>{450}));
  EXPECT_TRUE(j.weights_of("9999").empty());
}

TEST(Journal, FindsOpenPaidAndCancelledBasketsByTimeWithTheirVoids) {
  std::string path = testing::TempDir() + "/journal_baskets.db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  ce::Journal j(path);
  auto add = [&](const std::string& scan, long long price) {
    ce::BasketLine l{0, scan, 1, "4011", "Banana", 420, 1, 299, true, price, "USD", 0.9};
    EXPECT_TRUE(j.add(l));
    return l.line_no;
  };
  add("s1", 126);
  j.close_basket("paid", {{"basket", 1}, {"totalMinor", 125}});  // rounded on the receipt
  add("s2", 200);
  EXPECT_TRUE(j.void_line(add("s3", 300)));
  j.close_basket("cancelled", nullptr);
  add("s4", 150);
  long long after_all = ce::now_ms() + 1;

  auto all = j.baskets(0, after_all, "", 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].status, "open");  // newest first
  EXPECT_EQ(all[0].closed_ms, 0);
  EXPECT_EQ(all[1].status, "cancelled");
  ASSERT_EQ(all[1].lines.size(), 2u);
  EXPECT_EQ(all[1].voided, (std::vector<bool>{false, true}));
  EXPECT_EQ(all[2].status, "paid");
  EXPECT_EQ(all[2].receipt.value("totalMinor", 0), 125);
  EXPECT_GE(all[2].closed_ms, all[2].opened_ms);

  auto cancelled = j.baskets(0, after_all, "cancelled", 10);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].basket_id, all[1].basket_id);
  EXPECT_EQ(j.baskets(0, after_all, "", 1).size(), 1u);
  // A window after every closed basket holds only the one still open.
  auto later = j.baskets(after_all, after_all + 1000, "", 10);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].status, "open");
}

TEST(DamagedJournal, IsFoundWhateverTheDamageAndRecoveredWithWhatCanBeRead) {
  namespace fs = std::filesystem;
  std::string dir = testing::TempDir() + "/damaged-journal";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = dir + "/journal.db";
  EXPECT_EQ(ce::journal_damage(path), "") << "none yet: made at the first start";
  {
    ce::Journal j(path);
    j.number_baskets_after(6);
    for (int i = 0; i < 400; ++i) {
      ce::BasketLine line{0,
                          "scan-" + std::to_string(i),
                          i,
                          "4011",
                          "Banana " + std::string(200, 'x'),
                          420,
                          1,
                          299,
                          true,
                          126,
                          "USD",
                          0.9};
      j.add(line);
    }
  }
  EXPECT_EQ(ce::journal_damage(path), "");
  // A page of garbage in the middle of the file.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 10);
    std::string junk(4096, '\x5a');
    f.write(junk.data(), junk.size());
  }
  std::string damage = ce::journal_damage(path);
  EXPECT_NE(damage, "");
  EXPECT_NE(damage.find(path), std::string::npos) << damage;

  ce::RecoveredJournal r = ce::recover_journal(path, 7);
  EXPECT_TRUE(fs::exists(r.kept_as));
  EXPECT_EQ(fs::status(r.exported).permissions() & fs::perms::others_read, fs::perms::none);
  auto exported = nlohmann::json::parse(std::ifstream(r.exported));
  EXPECT_EQ(exported["journal"], path);
  EXPECT_GT(r.lines, 0) << "what could be read was kept";
  EXPECT_EQ(exported["basket_lines"].size(), static_cast<size_t>(r.lines));
  EXPECT_EQ(ce::journal_damage(path), "") << "a new journal";
  ce::Journal fresh(path);
  EXPECT_TRUE(fresh.lines().empty());
  EXPECT_EQ(fresh.basket_id(), 8) << "baskets are numbered on";

  // Not a database, and a folder where the file should be.
  std::ofstream(dir + "/text.db") << std::string(8192, 'a');
  EXPECT_NE(ce::journal_damage(dir + "/text.db"), "");
  fs::create_directories(dir + "/folder.db");
  EXPECT_NE(ce::journal_damage(dir + "/folder.db").find("folder"), std::string::npos);
  ce::RecoveredJournal folder = ce::recover_journal(dir + "/folder.db", 0);
  EXPECT_TRUE(fs::is_directory(folder.kept_as));
  EXPECT_EQ(ce::journal_damage(dir + "/folder.db"), "");
}

// A journal another connection holds locked (a checkout still closing it,
// a reader at the moment it was made) is busy, not damaged: taking it for
// damaged stopped a healthy lane until staff recovered it.
TEST(DamagedJournal, ALockedJournalIsNotDamaged) {
  namespace fs = std::filesystem;
  std::string dir = testing::TempDir() + "/locked-journal";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = dir + "/journal.db";
  { ce::Journal j(path); }
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(ce::journal_damage(path), "");
  sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
}

// A journal cut short (a disk that lost its tail) can lose the table's root
// page while the page holding the lines is still in the file: the export
// reads the file's pages itself, not only through SQLite's tables.
TEST(DamagedJournal, AHalfTruncatedJournalStillGivesUpEveryLineOnItsPages) {
  namespace fs = std::filesystem;
  std::string dir = testing::TempDir() + "/half-journal";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = dir + "/journal.db";
  {
    ce::Journal j(path);
    for (int i = 0; i < 5; ++i) {
      ce::BasketLine line{0,        "scan-" + std::to_string(i),
                          1000 + i, "4011",
                          "Banana", 420 + i,
                          1,        299,
                          true,     126 + i,
                          "USD",    0.9};
      j.add(line);
    }
  }
  auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  EXPECT_NE(ce::journal_damage(path), "");
  ce::RecoveredJournal r = ce::recover_journal(path, 1);
  EXPECT_EQ(r.lines, 5) << r.stopped;
  auto exported = nlohmann::json::parse(std::ifstream(r.exported));
  ASSERT_EQ(exported["basket_lines"].size(), 5u) << exported.dump(1);
  long long total = 0;
  for (const auto& line : exported["basket_lines"]) {
    EXPECT_EQ(line["name"], "Banana");
    total += line["price_minor"].get<long long>();
  }
  EXPECT_EQ(total, 126 + 127 + 128 + 129 + 130);
}

// The checkout killed with its lines still in the -wal file, and the
// journal's first page (the schema) overwritten: the lines are read from
// the log's pages and known by the shape of their rows.
TEST(DamagedJournal, LinesOnlyInTheLogWithTheSchemaPageLostAreStillExported) {
  namespace fs = std::filesystem;
  std::string dir = testing::TempDir() + "/wal-journal";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = dir + "/journal.db", copy = dir + "/copy.db";
  {
    ce::Journal j(path);
    for (int i = 0; i < 3; ++i) {
      ce::BasketLine line{0,
                          "scan-" + std::to_string(i),
                          1000 + i,
                          "3127",
                          "Pomegranate",
                          310,
                          1,
                          199,
                          false,
                          199,
                          "USD",
                          0.8};
      j.add(line);
    }
    // As a kill -9 leaves it: the lines in the log, not yet in the file.
    fs::copy_file(path, copy);
    fs::copy_file(path + "-wal", copy + "-wal");
  }
  ASSERT_GT(fs::file_size(copy + "-wal"), 0u);
  // The schema page zeroed in the file and in each of the log's frames
  // that hold it (SQLite then trusts none of the log after it).
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(4096, '\0');
    f.write(junk.data(), junk.size());
    std::fstream wal(copy + "-wal", std::ios::in | std::ios::out | std::ios::binary);
    size_t frames = (fs::file_size(copy + "-wal") - 32) / (24 + 4096);
    for (size_t i = 0; i < frames; ++i) {
      unsigned char page_no[4];
      wal.seekg(32 + i * (24 + 4096));
      wal.read(reinterpret_cast<char*>(page_no), 4);
      if (page_no[0] == 0 && page_no[1] == 0 && page_no[2] == 0 && page_no[3] == 1) {
        wal.seekp(32 + i * (24 + 4096) + 24);
        wal.write(junk.data(), junk.size());
      }
    }
  }
  ce::RecoveredJournal r = ce::recover_journal(copy, 1);
  EXPECT_EQ(r.lines, 3) << r.stopped;
  auto exported = nlohmann::json::parse(std::ifstream(r.exported));
  for (const auto& line : exported["basket_lines"]) EXPECT_EQ(line["name"], "Pomegranate");
}

// A lane upgraded from the release before product codes: its journal (user
// version 3) keeps its lines and takes lines with a code from then on.
TEST(Journal, AJournalFromBeforeProductCodesKeepsItsLinesAndTakesCodes) {
  std::string path = testing::TempDir() + "/journal_v3.db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    ce::Journal j(path);
    ce::BasketLine l;
    l.scan_id = "w1";
    l.product_id = "4011";
    l.name = "Banana";
    l.grams = 420;
    l.price_minor = 126;
    l.currency = "USD";
    ASSERT_TRUE(j.add(l));
  }
  // As the previous release left it: no code columns, version 3.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE basket_lines DROP COLUMN code;"
                         "ALTER TABLE basket_lines DROP COLUMN scale_grams;"
                         "PRAGMA user_version = 3;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  ce::Journal j(path);
  auto lines = j.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].name, "Banana");
  EXPECT_EQ(lines[0].code, "");
  ce::BasketLine coded;
  coded.scan_id = "w2";
  coded.product_id = "oat";
  coded.name = "Oat milk";
  coded.price_minor = 199;
  coded.currency = "USD";
  coded.code = "4006381333931";
  coded.scale_grams = 1010;
  ASSERT_TRUE(j.add(coded));
  lines = j.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].code, "4006381333931");
  EXPECT_EQ(lines[1].scale_grams, 1010);
}
