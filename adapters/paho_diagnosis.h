// Plain-language reasons for failed MQTT connects.
//
// Paho C reports TLS and socket failures only as MQTTASYNC_FAILURE (-1),
// without a message, and Paho C++ 1.2's ssl_options::error_handler dangles.
// So the reason is read from Paho's trace, which is raised to MINIMUM only
// while a connect is in flight (Begin/EndConnectDiagnosis). CONNACK refusals
// (return codes 1-5) are named directly. Paho's trace is process-wide, and so
// is this: one MqttSource per process. Thread-safe.
#pragma once

#include <string>

namespace floortrack {

// Installs the trace callback at FATAL level. Call once, before connecting.
void InstallConnectDiagnosis();
// Clears the last reason and raises the trace level for one connect.
void BeginConnectDiagnosis();
// Lowers the trace level again (connect finished either way).
void EndConnectDiagnosis();
// Why the connect that failed with Paho return code `rc` failed, e.g.
// "broker refused: not authorized (...)" or "TLS handshake failed: ...".
std::string DescribeConnectFailure(int rc);

}  // namespace floortrack
