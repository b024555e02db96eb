#include "hub/iotedge_identity.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ce {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One request to the workload API; returns the JSON it answers.
nlohmann::json workload(const IotEdgeIdentity& id, const std::string& path,
                        const std::string& body) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("cannot start an HTTP client for IoT Edge's workload API");
  std::string url, answer;
  const std::string unix_prefix = "unix://";
  if (id.workload_uri.rfind(unix_prefix, 0) == 0) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH,
                     id.workload_uri.substr(unix_prefix.size()).c_str());
    url = "http://localhost" + path;
  } else {
    url = id.workload_uri + path;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  if (!body.empty()) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    throw std::runtime_error("cannot reach IoT Edge's workload API at " + id.workload_uri + ": " +
                             curl_easy_strerror(rc) + " (IOTEDGE_WORKLOADURI)");
  if (status < 200 || status >= 300)
    throw std::runtime_error("IoT Edge's workload API answered " + std::to_string(status) + " to " +
                             path + ": " + answer.substr(0, 200));
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (!j.is_object())
    throw std::runtime_error("IoT Edge's workload API answered " + path + " with no JSON object");
  return j;
}

}  // namespace

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::optional<IotEdgeIdentity> IotEdgeIdentity::from_environment() {
  if (env("IOTEDGE_MODULEID").empty()) return std::nullopt;
  IotEdgeIdentity id;
  id.module_id = env("IOTEDGE_MODULEID");
  id.device_id = env("IOTEDGE_DEVICEID");
  id.iothub_hostname = env("IOTEDGE_IOTHUBHOSTNAME");
  id.gateway_hostname = env("IOTEDGE_GATEWAYHOSTNAME");
  id.generation_id = env("IOTEDGE_MODULEGENERATIONID");
  id.workload_uri = env("IOTEDGE_WORKLOADURI");
  if (!env("IOTEDGE_APIVERSION").empty()) id.api_version = env("IOTEDGE_APIVERSION");
  std::string missing;
  for (auto [name, value] : {std::pair{"IOTEDGE_DEVICEID", &id.device_id},
                             {"IOTEDGE_IOTHUBHOSTNAME", &id.iothub_hostname},
                             {"IOTEDGE_GATEWAYHOSTNAME", &id.gateway_hostname},
                             {"IOTEDGE_MODULEGENERATIONID", &id.generation_id},
                             {"IOTEDGE_WORKLOADURI", &id.workload_uri}})
    if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  if (!missing.empty())
    throw std::runtime_error("IOTEDGE_MODULEID is set but " + missing +
                             " is not: IoT Edge's agent sets them all when it starts a module; "
                             "outside IoT Edge, unset IOTEDGE_MODULEID");
  std::string scheme = env("IOTEDGE_AUTHSCHEME");
  if (!scheme.empty() && scheme != "sasToken")
    throw std::runtime_error("IOTEDGE_AUTHSCHEME is '" + scheme +
                             "'; this module signs in with IoT Edge's sasToken scheme");
  return id;
}

std::string IotEdgeIdentity::username() const {
  return iothub_hostname + "/" + client_id() + "/?api-version=2018-06-30";
}

std::string IotEdgeIdentity::sas_token(std::chrono::seconds lifetime) const {
  long long expiry = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch() + lifetime)
                         .count();
  std::string resource =
      url_encode(iothub_hostname + "/devices/" + device_id + "/modules/" + module_id);
  std::string to_sign = resource + "\n" + std::to_string(expiry);
  auto answer = workload(
      *this,
      "/modules/" + url_encode(module_id) + "/genid/" + url_encode(generation_id) +
          "/sign?api-version=" + api_version,
      nlohmann::json{{"keyId", "primary"}, {"algo", "HMACSHA256"}, {"data", base64(to_sign)}}
          .dump());
  if (!answer["digest"].is_string())
    throw std::runtime_error("IoT Edge's workload API signed nothing (no digest)");
  return "SharedAccessSignature sr=" + resource + "&sig=" + url_encode(answer["digest"]) +
         "&se=" + std::to_string(expiry);
}

std::string IotEdgeIdentity::trust_bundle() const {
  auto answer = workload(*this, "/trust-bundle?api-version=" + api_version, "");
  if (!answer["certificate"].is_string())
    throw std::runtime_error("IoT Edge's workload API gave no trust bundle");
  return answer["certificate"];
}

}  // namespace ce
