// The staff console: a login, then the lane's health, what the camera
// sees, each module's twin (changed as `twin --set` does) and deployments.
// A session is a token the console's page keeps in its tab and sends as
// `Authorization: Bearer`, never a cookie: cookies are per host, not per
// port, so any server a local user runs on another port of 127.0.0.1 would
// get a staff cookie from a link. Every change also needs the session's CSRF
// token in X-CSRF-Token; logins are slowed after failures.
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>

#include "modules/web/web_assets.h"
#include "modules/web/web_routes.h"

namespace ce {

namespace {

constexpr const char* kClassifier = "classifier";
// What `checkout-edge train` and `evaluate` draw (PLplot) beside metrics.json.
constexpr const char* kModelPlots[] = {"confusion.png", "risk-coverage.png", "reliability.png",
                                       "confusion.csv"};

std::string session_token(const httplib::Request& req) {
  std::string authorization = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.rfind(kBearer, 0) != 0) return {};
  return authorization.substr(kBearer.size());
}

// The session, or 401 answered. `change`: the CSRF token must match too.
std::optional<StaffSession> staff_session(WebContext& ctx, const httplib::Request& req,
                                          httplib::Response& res, bool change) {
  auto session = ctx.sessions.find(session_token(req));
  if (session && !ctx.accounts.has(session->user)) {  // `checkout-edge staff remove`
    ctx.sessions.close_all_of(session->user);
    session.reset();
  }
  if (!session) {
    send_json(res, 401, {{"error", "log in first (or again: the session ended)"}});
    return std::nullopt;
  }
  if (change &&
      (!same_origin(req) || !tokens_equal(req.get_header_value("X-CSRF-Token"), session->csrf))) {
    send_json(res, 403,
              {{"error",
                "the request has no valid CSRF token (X-CSRF-Token): reload the console "
                "and try again"}});
    return std::nullopt;
  }
  return session;
}

void send_method_result(httplib::Response& res, const MethodResult& r) {
  send_json(res, r.status, r.payload);
}

// The folder of the model the classifier serves now, from its reported twin.
std::filesystem::path served_model_folder(WebContext& ctx, nlohmann::json* reported) {
  nlohmann::json twins = ctx.staff.twins();
  auto c = twins.find(kClassifier);
  if (c == twins.end() || !(*c)["reported"].is_object() || !(*c)["reported"].contains("model"))
    throw std::runtime_error("the classifier has not reported its model yet (still loading?)");
  *reported = (*c)["reported"];
  return std::filesystem::path(reported->value("model", "")).parent_path();
}

}  // namespace

bool may_send_photos(WebContext& ctx, const httplib::Request& req) {
  if (req.path != "/console/api/enroll") return false;
  auto session = ctx.sessions.find(session_token(req));
  return session && ctx.accounts.has(session->user) && same_origin(req) &&
         tokens_equal(req.get_header_value("X-CSRF-Token"), session->csrf);
}

void add_console_routes(httplib::Server& server, WebContext& ctx) {
  server.Get("/console", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(web_assets().at("console.html"), "text/html; charset=utf-8");
  });

  server.Post("/console/api/login", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!same_origin(req))
      return send_json(res, 403, {{"error", "log in from the console page this lane serves"}});
    auto body = json_body(req, res);
    if (!body) return;
    auto user_field = body->find("user"), password_field = body->find("password");
    if (user_field == body->end() || !user_field->is_string() || password_field == body->end() ||
        !password_field->is_string())
      return send_json(res, 400,
                       {{"error", "send {\"user\": \"name\", \"password\": \"...\"}, both text"}});
    std::string user = *user_field, password = *password_field;
    if (user.size() > 64 || password.size() > 1024)
      return send_json(res, 400,
                       {{"error",
                         "a staff name is at most 64 characters and a password at most "
                         "1024: check what was typed"}});
    std::string address = req.remote_addr;
    if (long long wait = ctx.throttle.wait_s(user, address)) {
      res.set_header("Retry-After", std::to_string(wait));
      return send_json(res, 429,
                       {{"error", "too many wrong passwords: try again in " + std::to_string(wait) +
                                      " seconds"}});
    }
    std::vector<std::string> names;
    try {
      names = ctx.accounts.names();
    } catch (const std::exception& e) {
      return send_json(res, 500,
                       {{"error", std::string("cannot read the staff accounts: ") + e.what()}});
    }
    if (names.empty())
      return send_json(res, 401,
                       {{"error",
                         "there are no staff accounts yet: add one on the lane with "
                         "`checkout-edge staff add NAME`"}});
    std::optional<bool> right = ctx.accounts.verify_if_free(user, password);
    if (!right) {
      res.set_header("Retry-After", "1");
      return send_json(res, 503,
                       {{"error", "another login is being checked; try again in a second"}});
    }
    if (!*right) {
      ctx.throttle.failed(user, address);
      // Quoted and escaped: a name with a newline must not forge a log line.
      std::cerr << "web: a failed staff login as "
                << nlohmann::json(user).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace)
                << " from " << address << "\n";
      return send_json(res, 401, {{"error", "wrong name or password"}});
    }
    ctx.throttle.succeeded(user, address);
    StaffSession s;
    std::string token = ctx.sessions.open(user, &s);
    std::cerr << "web: " << user << " logged in from " << address << "\n";
    res.set_header("Cache-Control", "no-store");
    send_json(res, 200,
              {{"user", user},
               {"token", token},
               {"csrf", s.csrf},
               {"canChange", ctx.staff.can_change()}});
  });

  server.Get("/console/api/session", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (auto s = staff_session(ctx, req, res, false))
      send_json(res, 200,
                {{"user", s->user}, {"csrf", s->csrf}, {"canChange", ctx.staff.can_change()}});
  });

  server.Post("/console/api/logout", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, true)) return;
    ctx.sessions.close(session_token(req));
    send_json(res, 200, {{"loggedOut", true}});
  });

  server.Get("/console/api/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (staff_session(ctx, req, res, false)) stream_lane(req, res, ctx, true);
  });

  server.Get("/console/api/live.jpg", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    auto frame = ctx.lane.live_frame();
    if (!frame) return send_json(res, 404, {{"error", "the camera has sent no frame yet"}});
    res.set_header("Cache-Control", "no-store");
    // When it came: a frozen camera shows an old time, not a live-looking picture.
    res.set_header("X-Frame-Ms", std::to_string(ctx.lane.live_frame_ms()));
    res.set_content(*frame, "image/jpeg");
  });

  server.Get("/console/api/twins", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    try {
      send_json(res, 200, ctx.staff.twins());
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  server.Post("/console/api/twin", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    auto module = body->find("module");
    auto patch = body->find("patch");
    if (module == body->end() || !module->is_string() || patch == body->end() ||
        !patch->is_object())
      return send_json(res, 400,
                       {{"error",
                         "a twin change is {\"module\": \"checkout\", \"patch\": "
                         "{\"threshold\": 0.6}}"}});
    std::cerr << "web: " << s->user << " changes the desired properties of "
              << module->get<std::string>() << ": " << patch->dump().substr(0, 200) << "\n";
    send_method_result(res, ctx.staff.update_desired(*module, *patch));
  });

  server.Get("/console/api/deployment",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               if (staff_session(ctx, req, res, false))
                 send_method_result(res, ctx.staff.running_deployment());
             });

  server.Get("/console/api/logs", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    if (!ctx.files.available())
      return send_json(res, 503, {{"error", "set the web module's stateDir to read logs"}});
    try {
      size_t tail = 200;
      if (req.has_param("tail"))
        tail = std::clamp<size_t>(std::stoul(req.get_param_value("tail")), 1, 2000);
      send_json(res, 200, ctx.files.log_tail(req.get_param_value("module"), tail));
    } catch (const std::invalid_argument& e) {
      send_json(res, 404, {{"error", e.what()}});
    } catch (const std::exception& e) {
      send_json(res, 400, {{"error", std::string("tail is a number of lines: ") + e.what()}});
    }
  });

  server.Get("/console/api/runtime", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    if (!ctx.files.available())
      return send_json(res, 503, {{"error", "set the web module's stateDir to read it"}});
    try {
      send_json(res, 200, ctx.files.runtime_status());
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  server.Get("/console/api/check", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    if (!ctx.staff.can_change())
      return send_json(res, 503, {{"error", "set the web module's stateDir to run check"}});
    // The runtime runs it: this module's sandbox keeps it from what check reads.
    send_method_result(res, ctx.staff.check());
  });

  // The journal's baskets, open, paid and cancelled, found by the checkout itself.
  server.Get("/console/api/baskets", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    if (!ctx.staff.can_change())
      return send_json(res, 503,
                       {{"error", "set the web module's stateDir to search the journal"}});
    nlohmann::json query = nlohmann::json::object();
    try {
      for (const char* key : {"fromMs", "toMs"})
        if (req.has_param(key)) query[key] = std::stoll(req.get_param_value(key));
    } catch (const std::exception&) {
      return send_json(res, 400, {{"error", "fromMs and toMs are milliseconds since 1970"}});
    }
    if (req.has_param("status") && !req.get_param_value("status").empty())
      query["status"] = req.get_param_value("status");
    send_method_result(res, ctx.staff.call("checkout", "findBaskets", query));
  });

  server.Get("/console/api/model", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    try {
      nlohmann::json reported;
      auto folder = served_model_folder(ctx, &reported);
      nlohmann::json out{{"served",
                          {{"model", reported.value("model", "")},
                           {"modelVersion", reported.value("modelVersion", "")},
                           {"name", reported.value("name", "")},
                           {"iteration", reported.value("iteration", 0)},
                           {"created", reported.value("created", "")},
                           {"tags", reported.value("tags", 0)},
                           {"folder", folder.string()}}},
                         {"metrics", nullptr},
                         {"plots", nlohmann::json::array()}};
      std::ifstream metrics(folder / "metrics.json");
      if (metrics) out["metrics"] = nlohmann::json::parse(metrics, nullptr, false);
      if (out["metrics"].is_discarded()) out["metrics"] = nullptr;
      for (const char* plot : kModelPlots)
        if (std::filesystem::exists(folder / plot)) out["plots"].push_back(plot);
      send_json(res, 200, out);
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  // The iterations beside the served package (enrolled, retrained), each
  // with what it was measured on, for staff to choose from a list.
  server.Get("/console/api/models", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    try {
      nlohmann::json reported;
      auto served = served_model_folder(ctx, &reported);
      nlohmann::json list = nlohmann::json::array();
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(served.parent_path(), ec)) {
        std::ifstream in(entry.path() / "package.json");
        if (!in) continue;
        nlohmann::json info = nlohmann::json::parse(in, nullptr, false);
        if (!info.is_object()) continue;
        nlohmann::json item{{"folder", entry.path().string()},
                            {"name", info.value("name", entry.path().filename().string())},
                            {"iteration", info.value("iteration", 0)},
                            {"created", info.value("created", "")},
                            {"served", std::filesystem::equivalent(entry.path(), served, ec)},
                            {"measured", nullptr}};
        if (std::ifstream labels(entry.path() / "labels.txt"); labels) {
          int n = 0;
          for (std::string line; std::getline(labels, line);) n += !line.empty();
          item["tags"] = n;
        }
        std::ifstream metrics(entry.path() / "metrics.json");
        nlohmann::json m = metrics ? nlohmann::json::parse(metrics, nullptr, false) : nullptr;
        if (m.is_object())
          item["measured"] = {{"top1", m.value("top1", 0.0)},
                              {"images", m.value("images", 0)},
                              {"on", m.value("measuredOn", "")}};
        list.push_back(item);
        if (list.size() >= 50) break;
      }
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return a["created"].template get<std::string>() > b["created"].template get<std::string>();
      });
      send_json(res, 200, {{"iterations", list}});
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  server.Get(R"(/console/api/model/([a-z-]+\.(png|csv)))", [&ctx](const httplib::Request& req,
                                                                  httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    std::string name = req.matches[1];
    if (std::find(std::begin(kModelPlots), std::end(kModelPlots), name) == std::end(kModelPlots))
      return send_json(res, 404, {{"error", "no such plot"}});
    try {
      nlohmann::json reported;
      auto folder = served_model_folder(ctx, &reported);
      std::ifstream in(folder / name, std::ios::binary);
      if (!in) return send_json(res, 404, {{"error", "the model has no " + name}});
      std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      res.set_content(png, name.ends_with(".csv") ? "text/csv; charset=utf-8" : "image/png");
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  server.Post("/console/api/enroll", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    if (!req.is_multipart_form_data())
      return send_json(res, 415,
                       {{"error",
                         "send the photos as multipart/form-data: a field "
                         "\"tag\" and files \"photos\""}});
    auto tag_field = req.files.find("tag");
    std::string tag = tag_field == req.files.end() ? "" : tag_field->second.content;
    std::vector<std::string> photos;
    for (auto [it, end] = req.files.equal_range("photos"); it != end; ++it)
      photos.push_back(it->second.content);
    // The product to sell, if staff gave one: fields productId, productName, price, soldBy.
    nlohmann::json product;
    auto field = [&](const char* name) {
      auto f = req.files.find(name);
      return f == req.files.end() ? std::string() : f->second.content;
    };
    if (!field("productId").empty() || !field("productName").empty() || !field("price").empty())
      product = {{"id", field("productId")},
                 {"name", field("productName")},
                 {"price", field("price")},
                 {"soldBy", field("soldBy").empty() ? "kg" : field("soldBy")}};
    try {
      nlohmann::json reported;
      auto folder = served_model_folder(ctx, &reported);
      ctx.enrollment.start(folder, tag, photos, product);
      std::cerr << "web: " << s->user << " enrolls '" << tag << "' from " << photos.size()
                << " photos\n";
      send_json(res, 202, ctx.enrollment.status());
    } catch (const std::invalid_argument& e) {
      send_json(res, 400, {{"error", e.what()}});
    } catch (const std::logic_error& e) {
      send_json(res, 409, {{"error", e.what()}});
    } catch (const std::exception& e) {
      send_json(res, 503, {{"error", e.what()}});
    }
  });

  server.Get("/console/api/enroll", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (staff_session(ctx, req, res, false)) send_json(res, 200, ctx.enrollment.status());
  });

  // What the lane learnt from its answers (the classifier's memory), staff's
  // removal of a wrong example or a product's, and a new iteration trained
  // with it, measured and proposed, never served by itself.
  server.Get("/console/api/learning", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    if (!ctx.staff.can_change())
      return send_json(res, 503,
                       {{"error", "set the web module's stateDir to see what it learnt"}});
    MethodResult r = ctx.staff.call(kClassifier, "memory", nlohmann::json::object());
    if (r.status == 200) r.payload["retrain"] = ctx.retraining.status();
    send_method_result(res, r);
  });
  server.Get(R"(/console/api/learning/photo/(\d{1,18}))",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               if (!staff_session(ctx, req, res, false)) return;
               MethodResult r = ctx.staff.call(kClassifier, "memoryPhoto",
                                               {{"id", std::stoull(std::string(req.matches[1]))}});
               if (r.status != 200) return send_method_result(res, r);
               std::string b64 = r.payload.value("jpeg", "");
               std::string jpeg(b64.size(), '\0');
               size_t length = 0;
               if (sodium_base642bin(reinterpret_cast<unsigned char*>(jpeg.data()), jpeg.size(),
                                     b64.c_str(), b64.size(), nullptr, &length, nullptr,
                                     sodium_base64_VARIANT_ORIGINAL) != 0)
                 return send_json(res, 502, {{"error", "the classifier sent no readable photo"}});
               jpeg.resize(length);
               res.set_content(jpeg, "image/jpeg");
             });
  server.Post("/console/api/learning/forget", [&ctx](const httplib::Request& req,
                                                     httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    if (body->contains("id") && (*body)["id"].is_number_unsigned()) {
      std::cerr << "web: " << s->user << " removes learnt example " << (*body)["id"] << "\n";
      return send_method_result(
          res, ctx.staff.call(kClassifier, "forgetExample", {{"id", (*body)["id"]}}));
    }
    if (body->contains("tag") && (*body)["tag"].is_string()) {
      std::cerr << "web: " << s->user << " removes what was learnt of " << (*body)["tag"] << "\n";
      return send_method_result(
          res, ctx.staff.call(kClassifier, "forgetTag", {{"tag", (*body)["tag"]}}));
    }
    send_json(res, 400,
              {{"error",
                "send {\"id\": N} for one example or {\"tag\": ...} for "
                "all of a product's"}});
  });
  server.Post("/console/api/learning/retrain", [&ctx](const httplib::Request& req,
                                                      httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    if (!ctx.staff.can_change())
      return send_json(res, 503, {{"error", "set the web module's stateDir to train from here"}});
    try {
      ctx.retraining.start(s->user);
      std::cerr << "web: " << s->user << " trains a new iteration with what the "
                << "lane learnt\n";
      send_json(res, 202, ctx.retraining.status());
    } catch (const std::logic_error& e) {
      send_json(res, 409, {{"error", e.what()}});
    }
  });

  // Staff's correction of an open basket's line (the checkout rings up the
  // right product, and the lane learns the photo as it).
  server.Get("/console/api/products", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!staff_session(ctx, req, res, false)) return;
    send_method_result(res, ctx.staff.call("checkout", "products", nlohmann::json::object()));
  });
  server.Post("/console/api/correct", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    if (!body->contains("line") || !(*body)["line"].is_number_integer() ||
        !body->contains("productId") || !(*body)["productId"].is_string())
      return send_json(res, 400, {{"error", "send {\"line\": N, \"productId\": \"...\"}"}});
    std::cerr << "web: " << s->user << " corrects line " << (*body)["line"] << " to product "
              << (*body)["productId"] << "\n";
    send_method_result(res, ctx.staff.call("checkout", "command",
                                           {{"command", "correct"},
                                            {"line", (*body)["line"]},
                                            {"productId", (*body)["productId"]},
                                            {"by", "staff " + s->user}}));
  });

  server.Post("/console/api/deploy", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto s = staff_session(ctx, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    auto manifest = body->find("manifest");
    if (manifest == body->end() || !manifest->is_object())
      return send_json(res, 400,
                       {{"error", "a deployment is {\"manifest\": {\"modulesContent\": ...}}"}});
    std::cerr << "web: " << s->user << " deploys a new manifest\n";
    send_method_result(res, ctx.staff.deploy(*manifest));
  });
}

}  // namespace ce
