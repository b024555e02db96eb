// web: the lane's screens. The kiosk page (/kiosk) shows the shopper what
// the lane says, and takes the keypad's answers by touch; the staff console
// (/console) shows what the lane sees and changes its settings. Both are
// fed pushed from the hub (inputs below) through server-sent events.
//
// Inputs (routed in the manifest): basket, sentence, receipt, vocabulary
// (checkout), spoken (speech), predictions (classifier), frames (camera),
// weight (scale), laneStatus ($edgeAgent/outputs/moduleStatus).
// Output: commands (to checkout/inputs/commands), the kiosk's answers.
#include <httplib.h>

#include <iostream>

#include "common/files.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/http_connections.h"
#include "modules/modules.h"
#include "modules/web/host_names.h"
#include "modules/web/web_assets.h"
#include "modules/web/web_routes.h"

namespace ce {

namespace {

struct WebSettings {
  std::string host = "127.0.0.1";
  int port = 8090;  // 0: any free port (reported as kioskUrl)
  std::string cert_file, key_file;
  // Names besides loopback that the screens are reached by (a kiosk on
  // another machine): a request for any other name is refused.
  std::vector<std::string> host_names;
  std::string state_dir;  // the runtime's: its console.key, logs and receipts
  // The kiosk's live region speaks what the lane says; a lane whose
  // speakers say it already can turn that off (a screen reader would say
  // each sentence a second time).
  bool kiosk_announces = true;

  static WebSettings from(const nlohmann::json& d) {
    WebSettings s;
    s.host = setting<std::string>(d, "host", s.host);
    s.port = setting_in<int>(d, "port", s.port, 0, 65535);
    s.host_names = setting_strings(
        d, "hostNames",
        "the names the screens are reached by, without a scheme or port, such as "
        "[\"lane3.shop.example\"]",
        [](const std::string& n) { return !n.empty() && n.find_first_of(" /:") == n.npos; });
    if (auto tls = d.find("tls"); tls != d.end() && !tls->is_null()) {
      if (!tls->is_object())
        throw SettingError("desired property 'tls' must be {\"certFile\": ..., \"keyFile\": ...}");
      s.cert_file =
          required_setting<std::string>(*tls, "certFile", "the server's certificate (PEM)");
      s.key_file = required_setting<std::string>(*tls, "keyFile", "the certificate's key (PEM)");
      for (const std::string& f : {s.cert_file, s.key_file})
        if (!std::filesystem::exists(f))
          throw SettingError("desired property 'tls': " + f + " does not exist");
    }
    s.kiosk_announces = setting<bool>(d, "kioskAnnounces", true);
    s.state_dir = setting<std::string>(d, "stateDir", "");
    if (!s.state_dir.empty() && !std::filesystem::is_directory(s.state_dir))
      throw SettingError(
          "desired property 'stateDir' must be the runtime's state folder "
          "(${STATE_DIR}); " +
          s.state_dir + " is not a folder");
    return s;
  }
};

const char* content_type(const std::string& name) {
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::string sse(const std::string& event, long long id, const nlohmann::json& data) {
  return "event: " + event + "\nid: " + std::to_string(id) + "\ndata: " + data.dump() + "\n\n";
}

// The kiosk page's token outlives a restart of the module, so that a page
// left open still sends commands it will take.
std::string kept_token(const std::filesystem::path& file) {
  try {
    std::string token = read_file(file);
    if (token.size() == 64) return token;
  } catch (const std::exception&) {
  }
  std::string token = random_token();
  try {
    write_file_atomically(file, token);
  } catch (const std::exception& e) {
    std::cerr << "web: cannot keep the kiosk's token (" << e.what()
              << "); pages open before a restart must be reloaded\n";
  }
  return token;
}

bool checkout_up(const nlohmann::json& modules) {
  auto c = modules.find("checkout");
  return c == modules.end() ||
         (c->value("status", "") == "running" && c->value("health", "") != "unhealthy");
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res) {
  // JSON only: a form another site posts cannot be one without CORS.
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    send_json(res, 415, {{"error", "send JSON with Content-Type: application/json"}});
    return std::nullopt;
  }
  if (req.body.size() > 1 << 20) {
    send_json(res, 413, {{"error", "the request is over 1 MB"}});
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_json(res, 400, {{"error", "the body is not a JSON object"}});
    return std::nullopt;
  }
  return j;
}

bool same_origin(const httplib::Request& req) {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return true;  // not a browser's cross-site request
  std::string host = req.get_header_value("Host");
  return origin == "http://" + host || origin == "https://" + host;
}

void stream_lane(const httplib::Request& req, httplib::Response& res, WebContext& ctx, bool staff) {
  std::string client = req.remote_addr;
  if (!ctx.streams.take(staff, client)) {
    res.set_header("Retry-After", "5");
    return send_json(res, 503, {{"error", "too many open pages from this address; close one"}});
  }
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&ctx, staff, seq = -1LL](size_t, httplib::DataSink& sink) mutable {
        if (ctx.lane.closed()) return false;
        if (seq < 0) {
          nlohmann::json snap = staff ? ctx.lane.staff_snapshot() : ctx.lane.kiosk_snapshot();
          seq = snap["seq"];
          // A page that loses the stream asks again after a second.
          std::string first = "retry: 1000\n" + sse("snapshot", seq, snap);
          return sink.write(first.data(), first.size());
        }
        bool lost = false;
        auto events = ctx.lane.events_after(seq, std::chrono::seconds(10), &lost);
        if (ctx.lane.closed()) return false;
        if (lost) {
          seq = -1;  // too far behind: a new snapshot
          return true;
        }
        std::string out;
        for (const LaneEvent& e : events) {
          seq = e.seq;
          if (e.type == "latency" && !staff) continue;
          if (e.type == "lane" && !staff)
            out += sse("checkout", e.seq, {{"checkoutUp", checkout_up(e.data["modules"])}});
          else
            out += sse(e.type, e.seq, e.data);
        }
        if (out.empty()) out = ": still here\n\n";  // keeps proxies and the page's timer calm
        return sink.write(out.data(), out.size());
      },
      [&ctx, staff, client](bool) { ctx.streams.release(staff, client); });
}

void add_asset_routes(httplib::Server& server, WebContext&) {
  server.Get(R"(/assets/([A-Za-z0-9_.-]+))",
             [](const httplib::Request& req, httplib::Response& res) {
               auto& assets = web_assets();
               auto it = assets.find(req.matches[1]);
               if (it == assets.end() || it->first.ends_with(".html"))
                 return send_json(res, 404, {{"error", "no such asset"}});
               res.set_header("Cache-Control", "no-cache");
               res.set_content(it->second, content_type(it->first));
             });
}

void check_web_settings(const nlohmann::json& desired) { WebSettings::from(desired); }

int run_web(ModuleClient& client, const nlohmann::json& desired) {
  WebSettings settings = WebSettings::from(desired);
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });
  init_password_hashing();

  LaneView lane;
  lane.set_kiosk_announces(settings.kiosk_announces);
  auto feed = [&](const char* input, void (LaneView::*take)(const Message&)) {
    client.on_input(input, [&lane, input, take](const Message& m) {
      try {
        (lane.*take)(m);
      } catch (const std::exception& e) {
        std::cerr << "web: ignored a malformed " << input << " message: " << e.what() << "\n";
      }
    });
  };
  feed("basket", &LaneView::on_basket);
  feed("sentence", &LaneView::on_sentence);
  feed("spoken", &LaneView::on_spoken);
  feed("receipt", &LaneView::on_receipt);
  feed("vocabulary", &LaneView::on_vocabulary);
  feed("weight", &LaneView::on_weight);
  feed("laneStatus", &LaneView::on_module_status);
  feed("frames", &LaneView::on_frame);
  feed("predictions", &LaneView::on_predictions);

  const char* data_dir = std::getenv("CE_DATA_DIR");
  StaffAccounts accounts(std::filesystem::path(data_dir ? data_dir : ".") / "staff.json");
  StaffSessions sessions(std::filesystem::path(data_dir ? data_dir : ".") / "sessions.json");
  LoginThrottle throttle;
  const char* hub_host = std::getenv("CE_HUB_HOST");
  const char* hub_port = std::getenv("CE_HUB_STAFF_PORT");
  if (!hub_port) hub_port = std::getenv("CE_HUB_PORT");
  const char* hub_ca = std::getenv("CE_HUB_CA_FILE");
  StaffActions staff(settings.state_dir.empty() ? "" : settings.state_dir + "/console.key",
                     hub_host ? hub_host : "127.0.0.1", hub_port ? std::atoi(hub_port) : 1883,
                     hub_ca ? hub_ca : "");
  LaneFiles files(settings.state_dir);
  Enrollment enrollment(std::filesystem::path(data_dir ? data_dir : "."),
                        [&staff](const nlohmann::json& product) {
                          return staff.call("checkout", "addProduct", product);
                        });
  Retraining retraining(settings.state_dir);
  WebContext ctx{lane,
                 client,
                 accounts,
                 sessions,
                 throttle,
                 staff,
                 files,
                 enrollment,
                 retraining,
                 kept_token(std::filesystem::path(data_dir ? data_dir : ".") / "kiosk.token"),
                 !settings.cert_file.empty()};

  std::unique_ptr<httplib::Server> server;
  if (ctx.tls)
    server =
        std::make_unique<httplib::SSLServer>(settings.cert_file.c_str(), settings.key_file.c_str());
  else
    server = std::make_unique<GuardedServer>();
  if (!server->is_valid())
    throw std::runtime_error("cannot start the web server: is tls.certFile/keyFile a PEM pair?");
  if (ctx.tls)  // (httplib's TLS stream is its own: no request deadlines)
    server->new_task_queue = [] { return new ConnectionThreads(ConnectionLimits{}.connections); };
  server->set_payload_max_length(64 << 20);  // an enrollment's photos
  server->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    // Nothing but this module's own files runs in its pages, and no other
    // site may frame them.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
                   "base-uri 'none'; form-action 'self'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
  });
  // Before any route: a rebinding page must not even get the kiosk's token.
  HostNames names(settings.host_names, settings.host);
  server->set_pre_routing_handler([&names, &ctx](const httplib::Request& req,
                                                 httplib::Response& res) {
    std::string host = req.get_header_value("Host");
    if (!names.allows_host(host)) {
      send_json(
          res, 421,
          {{"error", "this lane's screens answer only to " + names.listed() + ", not '" +
                         host.substr(0, 100) + "'; add the name to the web module's hostNames"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!names.allows_origin(req.get_header_value("Origin"))) {
      send_json(res, 403, {{"error", "a page from another site may not use this lane"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    // The body is not read yet: a flood of large bodies costs nothing
    // unless it comes from staff, logged in, enrolling a product.
    bool chunked = req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
    unsigned long long length = 0;
    try {
      length = std::stoull("0" + req.get_header_value("Content-Length"));
    } catch (const std::exception&) {
      length = ~0ULL;
    }
    if ((chunked || length > (1 << 20)) && !may_send_photos(ctx, req)) {
      send_json(res, chunked ? 411 : 413,
                {{"error", chunked ? "send the request with its Content-Length"
                                   : "the request is over 1 MB; only a logged-in member of staff "
                                     "enrolling a product sends more"}});
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  add_asset_routes(*server, ctx);
  add_kiosk_routes(*server, ctx);
  add_console_routes(*server, ctx);

  int port = settings.port;
  // Port 0: any free port, then the same one after a restart, so that an
  // open page finds the module again.
  std::filesystem::path port_file = std::filesystem::path(data_dir ? data_dir : ".") / "port";
  if (port == 0) {
    int kept = 0;
    try {
      kept = std::stoi(read_file(port_file));
    } catch (const std::exception&) {
    }
    if (kept > 0 && server->bind_to_port(settings.host.c_str(), kept))
      port = kept;
    else
      port = server->bind_to_any_port(settings.host.c_str());
    if (port > 0 && port != kept) try {
        write_file_atomically(port_file, std::to_string(port));
      } catch (const std::exception& e) {
        std::cerr << "web: cannot keep the port number: " << e.what() << "\n";
      }
  } else if (!server->bind_to_port(settings.host.c_str(), port)) {
    port = -1;
  }
  if (port <= 0)
    throw std::runtime_error("cannot listen on " + settings.host + ":" +
                             std::to_string(settings.port) +
                             " for the screens; is another program using it? (set 'port')");
  deepen_backlog(*server);
  std::thread serving([&] { server->listen_after_bind(); });
  std::string base =
      std::string(ctx.tls ? "https" : "http") + "://" +
      (settings.host.find(':') != std::string::npos ? "[" + settings.host + "]" : settings.host) +
      ":" + std::to_string(port);
  std::cerr << "web: kiosk on " << base << "/kiosk, staff console on " << base << "/console\n";
  client.report({{"kioskUrl", base + "/kiosk"},
                 {"consoleUrl", base + "/console"},
                 {"staffCanChange", staff.can_change()}});

  // Connected before staff first ask, so that every twin is there by then.
  std::thread warm_up([&staff] {
    if (!staff.can_change()) return;
    try {
      staff.twins();
    } catch (const std::exception& e) {
      std::cerr << "web: the console cannot reach the runtime as staff yet: " << e.what() << "\n";
    }
  });
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  warm_up.join();
  client.stop_receiving();
  lane.close();
  server->stop();
  serving.join();
  return 0;
}

}  // namespace ce
