#pragma once
/// @file
/// The device shadow (SPEC §5) as a pure state machine: a document value,
/// its stored JSON, the device's requests on `/shadow/update/${pk}/${dn}`
/// and the application's desired-state updates. No actors, no I/O, no clock:
/// the caller passes `now_ms` (UTC milliseconds) and persists what it is
/// told to. Documented in docs/thing-model.md ("Device shadow"); unit-tested
/// in shadow.test.cpp; fuzzed by tests/fuzz/shadow_fuzz.cpp.
///
/// The stored document (compact JSON, the SPEC §5 form):
/// `{"state":{"desired":{…},"reported":{…}},"metadata":{"desired":{"a":{"timestamp":T}},"reported":{…}},"timestamp":T,"version":N}`
/// An empty section is left out, as on the platform.
///
/// Timestamps in documents and messages are UTC **seconds**
/// (`now_ms / 1000`): the platform writes seconds and the v3 device SDK reads
/// them with `atoi()` into a 32-bit value.
///
/// Device requests (`handle_device_request`):
/// - `{"method":"update","state":{"reported":{…},"desired":…},"version":N}`
///   writes attributes (a top-level attribute's value is replaced whole);
///   an attribute whose value is `null` or `"null"` is deleted; a section
///   given as `"null"` is cleared (the v3 SDK clears desired with
///   `{"method":"update","state":{"desired":"null"},…}` after a `control`).
/// - `{"method":"get"}`: the whole state and metadata (its `version` is
///   ignored: the v3 SDK sends one).
/// - `{"method":"delete","state":{"reported":{"a":"null"}},"version":N}`
///   deletes the listed attributes (whatever their values);
///   `"reported":"null"` / `"desired":"null"` clears a section.
/// Version rules for update and delete: absent (or `null`) means no check
/// and the version goes up by one; `-1` is always accepted and resets the
/// version to 0 (the platform's overflow escape); otherwise the request is
/// accepted only if N > the current version, and N becomes the version.
///
/// Limits (`shadow_limits`): the stored document ≤ 16,384 bytes; each
/// section ≤ 5 levels deep (the section object is level 1, so
/// `{"a":{"b":{"c":{"d":{"e":1}}}}}` is the deepest accepted); ≤ 128
/// attributes, counted as the distinct top-level names of desired and
/// reported together (an attribute both desired and reported counts once).
///
/// Thread-safety: every function is pure and reentrant; `shadow_doc` is a
/// plain value (one actor owns one).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "broker/util/expected.hpp"

namespace iotb::thing {

// -- errors -----------------------------------------------------------------------------

/// Why a shadow request was refused. `shadow_code` gives the platform's
/// numeric `errorcode`, `shadow_http_status` the admin API's HTTP status.
enum class shadow_errc : std::uint8_t {
  bad_json,   ///< 400: not a JSON object (the v3 SDK's `{"method":"delete",,…}` too)
  too_large,  ///< 400: request over max_request_bytes, or the document would exceed max_doc_bytes
  too_deep,   ///< 400: a section nests deeper than max_depth
  bad_client_token,  ///< 400: clientToken not a string/integer, or over max_client_token bytes
  missing_method,    ///< 401: no `method`
  missing_state,     ///< 402: update/delete without a `state` object
  bad_version,       ///< 403: `version` present but not an integer in int64
  missing_reported,  ///< 404: `state` has neither `reported` nor `desired` (or one of another type)
  empty_reported,    ///< 405: a section given as `{}`
  invalid_method,    ///< 406: `method` not update/get/delete (or not a string)
  empty_document,    ///< 407: get or delete on a shadow with no attributes
  too_many_attributes,  ///< 408: the document would hold more than max_attributes
  version_conflict,     ///< 409: version not greater than the current one (or it would overflow)
  too_many_requests,    ///< 429: over the per-device request rate (built by the actor)
  server_error,         ///< 500: the caller could not load or store the document
};

/// The platform's numeric error code (400…409, 429, 500).
[[nodiscard]] int shadow_code(shadow_errc e) noexcept;
/// The default error message ("version conflict", …).
[[nodiscard]] std::string_view shadow_message(shadow_errc e) noexcept;
/// The admin API's HTTP status: 409 for a version conflict, 429, 500, else 400.
[[nodiscard]] int shadow_http_status(shadow_errc e) noexcept;

/// A refusal with its detailed message (`errormessage`).
struct shadow_error {
  shadow_errc code;
  std::string message;
};

// -- the document -----------------------------------------------------------------------

/// One attribute of a section.
struct shadow_attr {
  std::string value;           ///< its value as compact JSON text (`"red"`, `42`, `{"x":1}`)
  std::int64_t timestamp = 0;  ///< metadata: when it was last written (UTC seconds)
  bool operator==(const shadow_attr&) const = default;
};

/// A section (desired or reported): attribute name → attribute, sorted.
using shadow_section = std::map<std::string, shadow_attr, std::less<>>;

/// A device's shadow document. A default-constructed one is the shadow of a
/// device that never wrote one (version 0, empty).
struct shadow_doc {
  shadow_section desired;
  shadow_section reported;
  std::int64_t timestamp = 0;  ///< last change, UTC seconds (0: never)
  std::int64_t version = 0;

  /// True when neither section has an attribute.
  [[nodiscard]] bool empty() const noexcept { return desired.empty() && reported.empty(); }
  /// The distinct top-level attribute names of both sections.
  [[nodiscard]] std::size_t attribute_count() const;
  /// The stored form: compact SPEC §5 JSON (see the file comment).
  [[nodiscard]] std::string to_json() const;
  bool operator==(const shadow_doc&) const = default;
};

/// Limits (SPEC §5 defaults; configurable per product by the caller).
struct shadow_limits {
  std::size_t max_doc_bytes = 16384;      ///< size of the stored JSON (`to_json()`)
  std::size_t max_depth = 5;              ///< nesting of a section (the section is level 1)
  std::size_t max_attributes = 128;       ///< distinct top-level names, desired ∪ reported
  std::size_t max_request_bytes = 65536;  ///< a request payload, refused before parsing
  std::size_t max_client_token = 256;     ///< longest clientToken echoed
};

/// Reads a stored document (`to_json()` output). Lenient where it costs
/// nothing (an attribute without metadata takes the document's timestamp,
/// metadata of absent attributes is dropped); refuses anything else with
/// `bad_json`. `parse_shadow_doc(d.to_json()) == d` for every document this
/// file's functions produce (their attribute values are in the JSON writer's
/// canonical form: `1e400` is refused, `18446744073709551616` reads back as
/// `18446744073709552000.0`, which then round-trips).
[[nodiscard]] expected<shadow_doc, shadow_errc> parse_shadow_doc(std::string_view stored);

// -- device requests --------------------------------------------------------------------

/// A device request's method.
enum class shadow_method : std::uint8_t {
  unknown,  ///< the request was refused before its method was known
  update,   ///< write attributes
  get,      ///< read the document
  remove,   ///< `"delete"`: delete attributes or sections
};

/// What `handle_device_request` decided.
struct device_result {
  /// The document after the request: the input when nothing changed.
  shadow_doc doc;
  /// True when `doc` differs from the input: persist `stored`, then publish
  /// `reply`.
  bool changed = false;
  /// True when the request wrote or deleted desired attributes.
  bool desired_changed = false;
  /// `doc.to_json()` when changed (empty otherwise).
  std::string stored;
  /// The compact reply to publish on `/shadow/get/${pk}/${dn}`; always set.
  std::string reply;
  /// The refusal, when the request was refused (the reply says so too).
  std::optional<shadow_errc> error;
  shadow_method method = shadow_method::unknown;
};

/// Handles what a device published on `/shadow/update/${pk}/${dn}`. Never
/// fails: a refusal is an error reply
/// (`{"method":"reply","payload":{"status":"error","content":{"errorcode":"409","errormessage":"…"}},"timestamp":T}`)
/// and an unchanged document. Every reply carries the request's
/// `clientToken` at the top level when it had one (for a payload that is not
/// JSON, when a `"clientToken":"…"` can still be found in its text).
/// Replies: update/delete
/// `{"method":"reply","payload":{"status":"success","version":N},"timestamp":T}`; get
/// `{"method":"reply","payload":{"status":"success","state":{…},"metadata":{…}},"version":N,"timestamp":T}`.
[[nodiscard]] device_result handle_device_request(const shadow_doc& doc, std::string_view payload,
                                                  std::int64_t now_ms,
                                                  const shadow_limits& limits = {});

// -- application updates ----------------------------------------------------------------

/// What `apply_desired` produced.
struct desired_result {
  shadow_doc doc;       ///< the new document: persist `stored`
  std::string stored;   ///< `doc.to_json()`
  std::string control;  ///< `control_message(doc, now_ms)`: push to the device if online
};

/// Applies the admin API's `PATCH …/shadow` body
/// `{"state":{"desired":{…}},"version":N}` (the platform's ShadowMessage
/// with `"method":"update"` is accepted too). Desired attributes are merged:
/// a value `null` or `"null"` deletes one, `"desired":"null"` clears them
/// all. Version (optional): absent or 0 means no check and +1 (the
/// platform's UpdateDeviceShadow: "0 if versioning is not required"); -1
/// resets to 0; otherwise it must exceed the current version and becomes
/// it. Errors: bad_json, too_large, too_deep, missing_state,
/// missing_reported (no `desired`), empty_reported (`{}`), bad_version,
/// too_many_attributes, version_conflict, invalid_method (a method other
/// than update).
[[nodiscard]] expected<desired_result, shadow_error> apply_desired(
    const shadow_doc& doc, std::string_view body, std::int64_t now_ms,
    const shadow_limits& limits = {});

/// The same with the desired section already parsed (an object of
/// attributes, or the string `"null"`) and the version apart (nullopt: none).
[[nodiscard]] expected<desired_result, shadow_error> apply_desired(
    const shadow_doc& doc, const rapidjson::Value& desired, std::optional<std::int64_t> version,
    std::int64_t now_ms, const shadow_limits& limits = {});

// -- messages ---------------------------------------------------------------------------

/// The `control` message pushed on `/shadow/get/${pk}/${dn}` after the
/// desired state changed (or when a device comes back online with desired
/// attributes pending):
/// `{"method":"control","payload":{"state":{"desired":…,"reported":…},"metadata":{…}},"version":N,"timestamp":T}`.
[[nodiscard]] std::string control_message(const shadow_doc& doc, std::int64_t now_ms);

/// An error reply for a request refused before `handle_device_request` saw
/// it — the actor's rate limit (`too_many_requests`, 429: the shadow error
/// table has no code for it; 429 is the platform's Alink "too many
/// requests") or a storage failure (`server_error`). The request's
/// clientToken is found in `payload` by a text scan, without parsing.
[[nodiscard]] std::string shadow_error_reply(shadow_errc e, std::string_view payload,
                                             std::int64_t now_ms);

}  // namespace iotb::thing
