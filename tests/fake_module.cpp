// A module for the runtime's tests, built on the public module API. What it
// does comes from its environment, so one manifest can hold many variants:
//   FAKE_EXIT_AFTER_MS, FAKE_EXIT_CODE   exit on its own after a while
//   FAKE_STOP_MS                         told to stop, go on receiving this long
//                                        (a module that saves its work first)
// It reports every desired-property change it receives ("desired",
// "desiredChanges"; logged with its pid), and, when one names a "package"
// folder, that folder's labels.txt as a classifier reads its model
// ("labels", null when it cannot read it). It has a method "produce" {"count": N} that sends N
// messages {"seq": k} on output "telemetry", k counting on across restarts
// (or, given "output" and "body", that body on that output).
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "checkout-edge/module.h"
#include "common/stop_signal.h"

int main() {
  ce::block_stop_signals();
  auto client = ce::ModuleClient::from_environment();
  std::atomic<int> changes = 0;
  client->on_desired_change([&](const nlohmann::json& d) {
    std::cerr << "fake " << getpid() << ": desired " << d.dump() << "\n";
    nlohmann::json report{{"desired", d}, {"desiredChanges", ++changes}, {"pid", getpid()}};
    if (d.contains("package") && d["package"].is_string()) {
      std::ifstream labels(d["package"].get<std::string>() + "/labels.txt");
      std::string text;
      report["labels"] = std::getline(labels, text) ? nlohmann::json(text) : nullptr;
    }
    client->report(report);
  });

  std::string counter_file = std::string(std::getenv("CE_DATA_DIR")) + "/seq";
  std::mutex produce_mutex;
  client->on_method("produce", [&](const nlohmann::json& request) {
    std::lock_guard lock(produce_mutex);
    long long next = 0;
    std::ifstream(counter_file) >> next;
    int count = request.value("count", 1);
    // {"output": "basket", "body": {...}}: that body on that output instead.
    std::string output = request.value("output", "telemetry");
    for (int i = 0; i < count; ++i) {
      ce::Message m = ce::Message::with_json(
          request.contains("body") ? request["body"] : nlohmann::json{{"seq", next + i}});
      m.properties["kind"] = "test";
      client->send_output(output, m);
    }
    std::ofstream(counter_file) << next + count;
    return ce::MethodResult{200, {{"first", next}, {"count", count}}};
  });

  long long exit_after =
      std::getenv("FAKE_EXIT_AFTER_MS") ? std::atoll(std::getenv("FAKE_EXIT_AFTER_MS")) : -1;
  int exit_code = std::getenv("FAKE_EXIT_CODE") ? std::atoi(std::getenv("FAKE_EXIT_CODE")) : 0;
  long long started = ce::now_ms();
  while (!ce::wait_for_stop(std::chrono::milliseconds(20))) {
    if (exit_after >= 0 && ce::now_ms() - started >= exit_after) {
      std::cerr << "fake: exiting with code " << exit_code << " as told\n";
      client->stop_receiving();
      return exit_code;
    }
  }
  if (const char* ms = std::getenv("FAKE_STOP_MS"))
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoll(ms)));
  client->stop_receiving();
  return 0;
}
