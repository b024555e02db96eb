// The web module's HTTP routes: the kiosk (no login, shopper's commands
// only) and the staff console (login, CSRF token on every change).
#pragma once

#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "checkout-edge/module.h"
#include "modules/web/enrollment.h"
#include "modules/web/lane_files.h"
#include "modules/web/lane_view.h"
#include "modules/web/retraining.h"
#include "modules/web/staff_accounts.h"
#include "modules/web/staff_actions.h"
#include "modules/web/stream_slots.h"

namespace ce {

struct WebContext {
  LaneView& lane;
  ModuleClient& client;
  StaffAccounts& accounts;
  StaffSessions& sessions;
  LoginThrottle& throttle;
  StaffActions& staff;
  const LaneFiles& files;
  Enrollment& enrollment;
  Retraining& retraining;
  std::string kiosk_token;  // in the kiosk page; its commands must carry it
  bool tls = false;
  StreamSlots streams;      // each open page holds one
};

// A JSON answer, errors as {"error": "what is wrong and what to do"}.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// The request's JSON object body, or a 400/415 already answered (nullopt).
std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res);
// A page's own origin only: a request another site's page makes is refused.
bool same_origin(const httplib::Request& req);
// A request that may carry an enrollment's photos (up to 64 MB): the
// enrollment route, from a logged-in member of staff with the CSRF token.
// Every other body is refused over 1 MB before it is read.
bool may_send_photos(WebContext& ctx, const httplib::Request& req);
// Server-sent events: a snapshot first, then each change as it happens.
void stream_lane(const httplib::Request& req, httplib::Response& res, WebContext& ctx, bool staff);

void add_asset_routes(httplib::Server& server, WebContext& ctx);
void add_kiosk_routes(httplib::Server& server, WebContext& ctx);
void add_console_routes(httplib::Server& server, WebContext& ctx);

}  // namespace ce
