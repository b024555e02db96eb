// Many lanes, one store broker: N simulated lanes, each with the runtime's
// own upstream forwarder (disk queue, QoS 1, at least once), publish scans
// and baskets to one local Mosquitto (the "store's broker"), and one
// subscriber on lanes/# sees them. Prints what was sent, delivered, lost,
// the latency (send to arrival) and the broker's CPU and memory.
//   bench_upstream_lanes [--lanes 200] [--rate 0.2] [--seconds 30]
// --rate is messages a second per lane: 0.2 is a busy lane (a scan and a
// basket every 10 s); run it again at 2 for ten times that.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "checkout-edge/module.h"
#include "runtime/broker.h"
#include "runtime/upstream.h"

namespace fs = std::filesystem;

namespace {

long long now_us() {
  // The wall clock: the lanes' processes and the subscriber share it.
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// utime + stime of a process, in clock ticks.
long long cpu_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  std::istringstream rest(s.substr(s.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

std::string status_field(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  return "?";
}

struct Subscriber {
  std::mutex mutex;
  std::set<std::pair<int, long long>> seen;  // (lane, seq)
  std::vector<double> latency_ms;
  long long duplicates = 0;

  static void on_message(mosquitto*, void* self, const mosquitto_message* msg,
                         const mosquitto_property* props) {
    long long arrived = now_us();
    auto* s = static_cast<Subscriber*>(self);
    long long sent = -1, seq = -1;
    int lane = -1;
    bool skip = false;
    for (const mosquitto_property* p = props;; skip = true) {
      char *name = nullptr, *value = nullptr;
      p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, skip);
      if (!p) break;
      if (!strcmp(name, "sentUs")) sent = std::stoll(value);
      if (!strcmp(name, "seq")) seq = std::stoll(value);
      if (!strcmp(name, "laneId")) lane = std::atoi(value + 5);  // "lane-N"
      free(name);
      free(value);
    }
    (void)msg;
    std::lock_guard lock(s->mutex);
    if (!s->seen.insert({lane, seq}).second) {
      ++s->duplicates;
      return;
    }
    if (sent >= 0) s->latency_ms.push_back((arrived - sent) / 1000.0);
  }
};

}  // namespace

int main(int argc, char** argv) {
  int lanes = 200;
  double rate = 0.2;
  double seconds = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--lanes") lanes = std::atoi(argv[i + 1]);
    if (a == "--rate") rate = std::atof(argv[i + 1]);
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
  }
  fs::path dir = fs::temp_directory_path() / ("bench-upstream-" + std::to_string(getpid()));
  fs::create_directories(dir);

  // The store's broker: Debian's mosquitto, anonymous on loopback for the bench.
  int port = ce::find_free_loopback_port();
  std::ofstream(dir / "store.conf") << "listener " << port << " 127.0.0.1\n"
                                    << "allow_anonymous true\nmax_queued_messages 100000\n"
                                    << "log_dest none\n";
  pid_t broker = fork();
  if (broker == 0) {
    execlp("mosquitto", "mosquitto", "-c", (dir / "store.conf").c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 100 && !ce::port_accepts_connections(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

  mosquitto_lib_init();
  Subscriber sub;
  mosquitto* subscriber = mosquitto_new("store-console", true, &sub);
  mosquitto_int_option(subscriber, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_message_v5_callback_set(subscriber, &Subscriber::on_message);
  mosquitto_connect_bind_v5(subscriber, "127.0.0.1", port, 30, nullptr, nullptr);
  mosquitto_subscribe_v5(subscriber, nullptr, "lanes/#", 1, 0, nullptr);
  mosquitto_loop_start(subscriber);

  // Lanes run 100 to a process: libmosquitto's loop uses select(), which
  // takes no descriptor past 1024, and each lane holds its queue (SQLite,
  // 3 files) and its socket. A real lane is a process of its own.
  const int per_process = 100;
  int processes = (lanes + per_process - 1) / per_process;
  long long total = static_cast<long long>(lanes * rate * seconds);
  double interval_us = 1e6 / (lanes * rate);
  long long start = now_us() + 5000000;  // every lane connected by then
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    pid_t child = fork();
    if (child == 0) {
      std::vector<std::unique_ptr<ce::UpstreamForwarder>> forwarders(lanes);
      for (int i = p; i < lanes; i += processes) {
        forwarders[i] = std::make_unique<ce::UpstreamForwarder>(
            (dir / ("lane-" + std::to_string(i) + ".db")).string());
        ce::UpstreamSettings s;
        s.host = "127.0.0.1";
        s.port = port;
        s.client_id = "lane-" + std::to_string(i);
        s.store = "store-1";
        s.topic = "lanes/store-1/" + s.client_id;
        forwarders[i]->configure(s);
      }
      // A scan is the classifier's predictions (about 0.7 kB), a basket
      // the checkout's (about 0.6 kB): alternately, spread evenly.
      std::string scan(700, 'p'), basket(600, 'b');
      for (long long n = 0; n < total; ++n) {
        int lane = static_cast<int>(n % lanes);
        if (lane % processes != p) continue;
        long long due = start + static_cast<long long>(n * interval_us);
        while (now_us() < due) std::this_thread::sleep_for(std::chrono::microseconds(200));
        ce::Message m;
        bool is_scan = (n / lanes) % 2 == 0;
        m.body = is_scan ? scan : basket;
        m.properties["connectionModuleId"] = is_scan ? "classifier" : "checkout";
        m.properties["outputName"] = is_scan ? "predictions" : "basket";
        m.properties["seq"] = std::to_string(n);
        m.properties["sentUs"] = std::to_string(now_us());
        forwarders[lane]->send(m);
      }
      // Drain what is queued, at most 30 s, then stop.
      for (int i = 0; i < 300; ++i) {
        long long queued = 0;
        for (auto& f : forwarders)
          if (f) queued += f->status().value("queued", 0LL);
        if (queued == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      for (auto& f : forwarders)
        if (f && !f->status().value("connected", false))
          fprintf(stderr, "lane not connected: %s\n", f->status().dump().c_str());
      _exit(0);
    }
    children.push_back(child);
  }
  long long broker_cpu0 = cpu_ticks(broker);
  while (now_us() < start) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (pid_t c : children) waitpid(c, nullptr, 0);
  double sent_for = seconds;
  for (int i = 0; i < 50; ++i) {  // the last ones in flight
    {
      std::lock_guard lock(sub.mutex);
      if (static_cast<long long>(sub.seen.size()) >= total) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double window = (now_us() - start) / 1e6;
  long long broker_cpu = cpu_ticks(broker) - broker_cpu0;
  std::string rss = status_field(broker, "VmRSS"), hwm = status_field(broker, "VmHWM");

  mosquitto_loop_stop(subscriber, true);
  std::lock_guard lock(sub.mutex);
  std::vector<double> l = sub.latency_ms;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    return l.empty() ? 0.0 : l[std::min(l.size() - 1, size_t(p * l.size()))];
  };
  long long delivered = static_cast<long long>(sub.seen.size());
  printf("lanes %d, %.2f msg/s each (%.0f msg/s in all), %.0f s\n", lanes, rate, lanes * rate,
         sent_for);
  printf("sent %lld, delivered %lld, lost %lld, duplicates %lld\n", total, delivered,
         total - delivered, sub.duplicates);
  printf("latency ms: p50 %.1f, p99 %.1f, max %.1f\n", pct(0.5), pct(0.99),
         l.empty() ? 0.0 : l.back());
  printf("broker: CPU %.1f%% of one core over %.0f s, memory %s (peak %s)\n",
         100.0 * broker_cpu / sysconf(_SC_CLK_TCK) / window, window, rss.c_str(), hwm.c_str());
  kill(broker, SIGTERM);
  waitpid(broker, nullptr, 0);
  fs::remove_all(dir);
  return delivered == total ? 0 : 1;
}
