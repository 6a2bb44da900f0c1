#include "adapters/paho_diagnosis.h"

#include <MQTTAsync.h>
#include <mqtt/exception.h>

#include <mutex>
#include <optional>
#include <string_view>

namespace floortrack {
namespace {

// MQTT 3.1.1 CONNACK return codes (Paho passes them through as the failure code).
const char* ConnackText(int rc) {
  switch (rc) {
    case 1:
      return "unacceptable protocol version";
    case 2:
      return "client identifier rejected (mqtt.client_id)";
    case 3:
      return "server unavailable";
    case 4:
      return "bad user name or password (mqtt.username, mqtt.password_file)";
    case 5:
      return "not authorized (bad user name or password, or no access for mqtt.username)";
    default:
      return nullptr;
  }
}

// Why a connect failed below MQTT. Paho C reports TLS and socket failures only
// as MQTTASYNC_FAILURE (-1), without a message, and Paho C++ 1.2's
// ssl_options::error_handler dangles (its context is the connect_options copy
// that connect() destroys). So the reason is read from Paho's trace, which is
// turned up to MINIMUM only while a connect is in flight. Process-wide, like
// Paho's trace itself: the first reason seen since ResetConnectTrace() wins.
std::mutex g_trace_mutex;
std::string g_connect_failure;
std::string g_host_mismatch;  // pending: the IP check may still accept the certificate
enum class Tls { kNone, kStarted, kDone } g_tls = Tls::kNone;  // how far the handshake got

void SetFailure(std::string reason) {
  if (g_connect_failure.empty()) g_connect_failure = std::move(reason);
}

void PahoTrace(enum MQTTASYNC_TRACE_LEVELS, char* message) {
  if (message == nullptr) return;
  std::string_view m(message);
  // "20261123 180608.218 SSL alert write:fatal:unknown CA": skip date and time.
  for (int field = 0; field < 2; ++field) {
    auto space = m.find(' ');
    if (space == std::string_view::npos) return;
    m.remove_prefix(space + 1);
  }
  auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (m.substr(0, prefix.size()) != prefix) return std::nullopt;
    return m.substr(prefix.size());
  };
  std::lock_guard lock(g_trace_mutex);
  if (auto alert = after("SSL alert write:fatal:")) {
    // We aborted the handshake: OpenSSL rejected the broker's certificate.
    SetFailure("TLS handshake failed: certificate verify failed (TLS alert \"" +
               std::string(*alert) + "\"): the broker's certificate is not trusted");
  } else if (auto alert = after("SSL alert read:fatal:")) {
    SetFailure("TLS handshake failed: the broker aborted the handshake (TLS alert \"" +
               std::string(*alert) +
               "\"; does it require a client certificate, mqtt.cert_file/mqtt.key_file?)");
  } else if (auto host = after("X509_check_host for hostname ")) {
    g_host_mismatch = std::string(host->substr(0, host->find(" failed")));
  } else if (auto ip = after("rc from X509_check_ip_asc is ")) {
    if (*ip != "1" && !g_host_mismatch.empty())
      SetFailure(
          "TLS handshake failed: certificate verify failed: host name mismatch: the broker's "
          "certificate is not valid for " +
          g_host_mismatch + " (see mqtt.verify_hostname)");
    g_host_mismatch.clear();
  } else if (after("SSL handshake started")) {
    g_tls = Tls::kStarted;
  } else if (after("SSL handshake done")) {
    g_tls = Tls::kDone;
  } else if (auto socket_error = after("Socket error ")) {
    SetFailure("network error: " +
               std::string(socket_error->substr(0, socket_error->find(" in "))));
  }
}

void ResetConnectTrace() {
  std::lock_guard lock(g_trace_mutex);
  g_connect_failure.clear();
  g_host_mismatch.clear();
  g_tls = Tls::kNone;
}

std::string ConnectTraceFailure() {
  std::lock_guard lock(g_trace_mutex);
  if (!g_connect_failure.empty()) return g_connect_failure;
  if (g_tls == Tls::kStarted) return "TLS handshake failed";
  if (g_tls == Tls::kDone) return "the broker closed the connection before accepting it";
  return "";
}

}  // namespace

void InstallConnectDiagnosis() {
  MQTTAsync_setTraceCallback(&PahoTrace);
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
}

void BeginConnectDiagnosis() {
  ResetConnectTrace();
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_MINIMUM);
}

void EndConnectDiagnosis() { MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL); }

std::string DescribeConnectFailure(int rc) {
  if (const char* text = ConnackText(rc)) return std::string("broker refused: ") + text;
  if (std::string traced = ConnectTraceFailure(); !traced.empty()) return traced;
  if (rc == MQTTASYNC_FAILURE)
    return "broker not reachable (connection refused, unreachable or timed out)";
  std::string paho = mqtt::exception::error_str(rc);
  return "connect failed (Paho return code " + std::to_string(rc) +
         (paho.empty() ? "" : ": " + paho) + ")";
}

}  // namespace floortrack
