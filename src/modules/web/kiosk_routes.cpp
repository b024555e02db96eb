// The shopper's screen. Anyone at the lane may use it, so it can do only
// what the keypad does (answer, total, repeat, void the last line, pay,
// cancel), and only from the page the module served (its token, its origin).
#include <set>

#include "modules/web/web_assets.h"
#include "modules/web/web_routes.h"

namespace ce {

namespace {

// Checked here as well as by the checkout: the kiosk never sends anything else.
nlohmann::json kiosk_command(const nlohmann::json& body) {
  static const std::set<std::string> allowed{"answer",    "total", "repeat",
                                             "void-last", "pay",   "cancel"};
  auto c = body.find("command");
  if (c == body.end() || !c->is_string() || !allowed.count(c->get<std::string>()))
    throw std::runtime_error(
        "the kiosk sends {\"command\": one of answer, total, repeat, void-last, pay, cancel}");
  nlohmann::json out{{"command", *c}};
  if (*c == "answer") {
    auto choice = body.find("choice");
    if (choice == body.end() || !choice->is_number_integer() || choice->get<long long>() < 0 ||
        choice->get<long long>() > 9)
      throw std::runtime_error("an answer is {\"command\": \"answer\", \"choice\": 0..9}");
    out["choice"] = *choice;
  }
  return out;
}

}  // namespace

void add_kiosk_routes(httplib::Server& server, WebContext& ctx) {
  server.Get("/",
             [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/kiosk"); });
  server.Get("/kiosk", [&ctx](const httplib::Request&, httplib::Response& res) {
    std::string page = web_assets().at("kiosk.html");
    const std::string mark = "{{KIOSK_TOKEN}}";
    if (auto at = page.find(mark); at != std::string::npos)
      page.replace(at, mark.size(), ctx.kiosk_token);
    res.set_header("Cache-Control", "no-store");
    res.set_content(page, "text/html; charset=utf-8");
  });
  server.Get("/kiosk/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    stream_lane(req, res, ctx, false);
  });
  server.Get("/kiosk/photo.jpg", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto photo = ctx.lane.photo();
    if (!photo) return send_json(res, 404, {{"error", "no item has been seen yet"}});
    res.set_header("Cache-Control", "no-store");
    res.set_content(photo->second, "image/jpeg");
  });
  server.Post("/kiosk/command", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!same_origin(req) || !tokens_equal(req.get_header_value("X-Kiosk-Token"), ctx.kiosk_token))
      return send_json(res, 403,
                       {{"error",
                         "commands come only from the kiosk page this lane served; "
                         "reload it"}});
    auto body = json_body(req, res);
    if (!body) return;
    try {
      nlohmann::json command = kiosk_command(*body);
      ctx.client.send_output("commands", Message::with_json(command));
      send_json(res, 202, {{"sent", command}});
    } catch (const std::exception& e) {
      send_json(res, 400, {{"error", e.what()}});
    }
  });
}

}  // namespace ce
