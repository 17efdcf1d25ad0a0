#pragma once
/// @file
/// Thing model data in the registry environment (SPEC §4, §5): a product's
/// thing model and check mode, each device's latest property values, their
/// history, posted events, desired property values, OTA state and shadow
/// document. FlatBuffers records (schemas/registry.fbs); the tables were
/// added after format version 1 and need no version bump (older binaries
/// ignore them, `env::open` creates them).
///
/// Keys put one device's records together ("pk/dn" NUL …), with times and
/// message ids big-endian so that a device's history sorts by time:
///
/// | table          | key                                                 |
/// |----------------|-----------------------------------------------------|
/// | thing_models   | pk                                                  |
/// | properties     | "pk/dn" NUL identifier                              |
/// | history        | "pk/dn" NUL identifier NUL time(BE64) messageId(BE64) |
/// | events         | "pk/dn" NUL time(BE64) messageId(BE64)              |
/// | desired        | "pk/dn" NUL identifier                              |
/// | ota, shadows   | "pk/dn"                                             |
/// | configs        | pk                                                  |
///
/// Like registry.hpp, every function takes the transaction it works in;
/// the broker writes through its store writer (batched), the CLI in
/// transactions of its own. Errors: corrupt (a record failed
/// verification), map_full, io; others where named.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store/env.hpp"
#include "broker/thing/validate.hpp"

namespace iotb::store {

/// A product's stored thing model.
struct thing_model_record {
  std::string tsl;  ///< the TSL JSON (compact, as `thing::export_tsl` writes it)
  thing::check_mode mode = thing::check_mode::weak;
  std::uint64_t updated_ms = 0;
};

/// Stores `r` as the model of `pk` (replacing).
[[nodiscard]] expected<bool, error> put_thing_model(write_txn& t, std::string_view pk,
                                                    const thing_model_record& r);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<thing_model_record, error> get_thing_model(const txn& t,
                                                                  std::string_view pk);
/// Sets the check mode of `pk`, creating an empty model when it has none.
[[nodiscard]] expected<bool, error> set_check_mode(write_txn& t, std::string_view pk,
                                                   thing::check_mode mode, std::uint64_t now_ms);

/// One property value (latest, history or desired).
struct property_record {
  std::string identifier;
  std::string value;  ///< compact JSON
  std::uint64_t time_ms = 0;
  std::uint64_t version = 0;     ///< desired values: counts the sets
  std::uint64_t message_id = 0;  ///< the post (or set) that carried it
};

/// Stores the values of one post: each becomes the latest value of its
/// identifier (unless the stored one is newer: a history post of old
/// values does not replace current ones) and, when `history`, a history
/// entry.
[[nodiscard]] expected<bool, error> put_properties(write_txn& t, std::string_view pk,
                                                   std::string_view dn,
                                                   const std::vector<property_record>& values,
                                                   bool history);
/// The latest value of every property of a device, by identifier.
[[nodiscard]] expected<std::vector<property_record>, error> latest_properties(const txn& t,
                                                                              std::string_view pk,
                                                                              std::string_view dn);
/// History of one property in [from_ms, to_ms], oldest first, at most
/// `limit` entries.
[[nodiscard]] expected<std::vector<property_record>, error> property_history(
    const txn& t, std::string_view pk, std::string_view dn, std::string_view identifier,
    std::uint64_t from_ms, std::uint64_t to_ms, std::size_t limit);

/// One event a device posted.
struct event_record {
  std::string identifier;
  std::string type;    ///< info, alert, error; "" when not in the model
  std::string params;  ///< compact JSON
  std::uint64_t time_ms = 0;
  std::uint64_t message_id = 0;
};

[[nodiscard]] expected<bool, error> append_event(write_txn& t, std::string_view pk,
                                                 std::string_view dn, const event_record& e);
/// Events in [from_ms, to_ms], oldest first, at most `limit`; `identifier`
/// empty: all.
[[nodiscard]] expected<std::vector<event_record>, error> list_events(
    const txn& t, std::string_view pk, std::string_view dn, std::string_view identifier,
    std::uint64_t from_ms, std::uint64_t to_ms, std::size_t limit);

/// Sets desired values (each one's `version` becomes the stored one + 1;
/// the record's `version` is ignored). @returns the stored records.
[[nodiscard]] expected<std::vector<property_record>, error> put_desired(
    write_txn& t, std::string_view pk, std::string_view dn,
    const std::vector<property_record>& values);
/// Desired values; `identifiers` empty: all of them.
[[nodiscard]] expected<std::vector<property_record>, error> get_desired(
    const txn& t, std::string_view pk, std::string_view dn,
    const std::vector<std::string>& identifiers);
/// Deletes a desired value when `version` is 0 or equals the stored one
/// (the device cleared what it was sent). @returns false when nothing was
/// deleted.
[[nodiscard]] bool delete_desired(write_txn& t, std::string_view pk, std::string_view dn,
                                  std::string_view identifier, std::uint64_t version);

/// A device's OTA state.
struct ota_record {
  std::string version;
  std::string module;
  int step = 0;
  std::string desc;
  std::uint64_t reported_ms = 0;
  std::uint64_t progress_ms = 0;
  /// The upgrade the admin API asked for (empty `target_version`: none);
  /// pushed again when the device informs another version.
  std::string target_version;
  std::string target_module;
  std::string target_data;  ///< the upgrade message's `data`, compact JSON
  std::uint64_t target_ms = 0;
  std::uint64_t target_id = 0;  ///< message id of the last upgrade push
};
[[nodiscard]] expected<bool, error> put_ota(write_txn& t, std::string_view pk, std::string_view dn,
                                            const ota_record& r);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<ota_record, error> get_ota(const txn& t, std::string_view pk,
                                                  std::string_view dn);

/// A product's remote configuration file.
struct config_record {
  std::string config_id;
  std::string content;
  std::string sign;  ///< SHA-256 of content, lowercase hex
  std::uint64_t updated_ms = 0;
};
/// Replaces the product's configuration file.
[[nodiscard]] expected<bool, error> put_config(write_txn& t, std::string_view pk,
                                               const config_record& r);
/// Errors: not_found (none set), corrupt.
[[nodiscard]] expected<config_record, error> get_config(const txn& t, std::string_view pk);

/// A device's shadow document (SPEC §5 JSON). Errors: not_found, corrupt.
[[nodiscard]] expected<std::string, error> get_shadow(const txn& t, std::string_view pk,
                                                      std::string_view dn);
[[nodiscard]] expected<bool, error> put_shadow(write_txn& t, std::string_view pk,
                                               std::string_view dn, std::string_view doc);

/// Deletes every thing record of a device (the device was deleted).
[[nodiscard]] expected<bool, error> erase_thing_data(write_txn& t, std::string_view pk,
                                                     std::string_view dn);
/// Deletes a product's thing model and configuration file (the product
/// was deleted).
void erase_thing_model(write_txn& t, std::string_view pk);

/// Deletes records of `tb` (history or events) older than `before_ms`, at
/// most `max`, in key order from `resume` (empty: the start). Keys end in
/// time(BE64) messageId(BE64), so a property's (or a device's events')
/// records sort by time: once one is recent enough the pass seeks past the
/// rest, and costs the deleted records plus one seek per group.
struct purge_result {
  std::string resume;  ///< where the next pass starts; empty: this one reached the end
  std::size_t deleted = 0;
};
[[nodiscard]] expected<purge_result, error> purge_before(write_txn& t, table tb,
                                                         std::uint64_t before_ms, std::size_t max,
                                                         std::string_view resume);

}  // namespace iotb::store
