// The connection Azure IoT Edge gives a module: its environment
// (IOTEDGE_MODULEID, IOTEDGE_DEVICEID, IOTEDGE_IOTHUBHOSTNAME,
// IOTEDGE_GATEWAYHOSTNAME, IOTEDGE_MODULEGENERATIONID, IOTEDGE_WORKLOADURI,
// IOTEDGE_APIVERSION, IOTEDGE_AUTHSCHEME) and the workload API behind
// IOTEDGE_WORKLOADURI, which signs the module's SAS tokens and hands out
// the CA that signed edgeHub's certificate. The key never leaves IoT Edge.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ce {

struct IotEdgeIdentity {
  std::string iothub_hostname, device_id, module_id, generation_id;
  std::string gateway_hostname;  // edgeHub, as the module reaches it
  std::string workload_uri;      // unix:///var/run/iotedge/workload.sock or http://host:port
  std::string api_version = "2019-01-30";

  // nullopt when IOTEDGE_MODULEID is not set (not under IoT Edge); throws
  // naming what is missing when it is set but the rest is not.
  static std::optional<IotEdgeIdentity> from_environment();

  std::string client_id() const { return device_id + "/" + module_id; }
  std::string username() const;
  // A SharedAccessSignature for this module, valid for `lifetime`, signed
  // by the workload API with the module's primary key.
  std::string sas_token(std::chrono::seconds lifetime) const;
  // The PEM certificates edgeHub's certificate chains to.
  std::string trust_bundle() const;
};

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encode(const std::string& s);
std::string url_decode(const std::string& s);

}  // namespace ce
