#pragma once
/// @file
/// Thing models shared by the broker/thing unit tests (test-only).

namespace iotb::thing::test_models {

/// A lamp in the platform's export format: specs values as strings, the
/// built-in post/set/get, a struct, an array, an enum, a bool, a date.
inline constexpr const char* lamp = R"({
  "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
  "profile": {"productKey": "a1Lamp"},
  "properties": [
    {"identifier": "LightSwitch", "name": "Switch", "accessMode": "rw", "required": true,
     "dataType": {"type": "bool", "specs": {"0": "off", "1": "on"}}},
    {"identifier": "Brightness", "name": "Brightness", "accessMode": "rw", "required": false,
     "dataType": {"type": "int", "specs": {"min": "0", "max": "100", "step": "1", "unit": "%", "unitName": "percent"}}},
    {"identifier": "Temperature", "name": "Temperature", "accessMode": "r", "required": false,
     "dataType": {"type": "float", "specs": {"min": "-40", "max": "120", "step": "0.1", "unit": "°C", "unitName": "celsius"}}},
    {"identifier": "Color", "name": "Color", "accessMode": "rw", "required": false,
     "dataType": {"type": "enum", "specs": {"0": "red", "1": "blue", "2": "green"}}},
    {"identifier": "Label", "name": "Label", "accessMode": "rw", "required": false,
     "dataType": {"type": "text", "specs": {"length": "16"}}},
    {"identifier": "InstalledAt", "name": "Installed", "accessMode": "r", "required": false,
     "dataType": {"type": "date", "specs": {}}},
    {"identifier": "Position", "name": "Position", "accessMode": "r", "required": false,
     "dataType": {"type": "struct", "specs": [
       {"identifier": "x", "name": "X", "dataType": {"type": "double", "specs": {"min": "-180", "max": "180"}}},
       {"identifier": "label", "name": "L", "dataType": {"type": "text", "specs": {"length": "4"}}}]}},
    {"identifier": "Samples", "name": "Samples", "accessMode": "r", "required": false,
     "dataType": {"type": "array", "specs": {"size": "8", "item": {"type": "int", "specs": {"min": "0", "max": "9"}}}}}
  ],
  "events": [
    {"identifier": "post", "name": "post", "type": "info", "required": true,
     "method": "thing.event.property.post",
     "outputData": [{"identifier": "Brightness", "name": "Brightness",
                     "dataType": {"type": "int", "specs": {"min": "0", "max": "100"}}}]},
    {"identifier": "Alarm", "name": "Alarm", "type": "alert", "required": false,
     "method": "thing.event.Alarm.post",
     "outputData": [{"identifier": "Level", "name": "Level", "dataType": {"type": "int", "specs": {"min": "1", "max": "5"}}},
                    {"identifier": "Reason", "name": "Reason", "dataType": {"type": "text", "specs": {"length": "32"}}}]}
  ],
  "services": [
    {"identifier": "set", "name": "set", "callType": "async", "required": true,
     "method": "thing.service.property.set",
     "inputData": [{"identifier": "Brightness", "name": "Brightness",
                    "dataType": {"type": "int", "specs": {"min": "0", "max": "100"}}}],
     "outputData": []},
    {"identifier": "get", "name": "get", "callType": "async", "required": true,
     "method": "thing.service.property.get",
     "inputData": ["LightSwitch", "Brightness"],
     "outputData": []},
    {"identifier": "Reboot", "name": "Reboot", "callType": "sync", "required": false,
     "method": "thing.service.Reboot",
     "inputData": [{"identifier": "DelaySeconds", "name": "Delay", "dataType": {"type": "int", "specs": {"min": "0", "max": "60"}}}],
     "outputData": [{"identifier": "Result", "name": "Result", "dataType": {"type": "text", "specs": {"length": "64"}}}]}
  ]
})";

}  // namespace iotb::thing::test_models
