/*
 * iotbroker sink plugin ABI (SPEC §9 "Plugin ABI").
 *
 * This header is the whole contract between the broker (the *host*) and a
 * sink plugin: a shared library that the broker dlopen()s and that receives
 * the output of rule actions (a database, a file, a webhook ...). It is
 * plain C (C99 and later; it compiles as C++ too) so that a plugin built
 * with another compiler, another C++ standard library, or as a separate
 * project loads safely. `sink.hpp` is an optional C++ wrapper on top.
 *
 * ## Rules that hold for every declaration below
 *
 * - **One exported symbol.** A plugin exports `iotb_sink_plugin_entry`
 *   (IOTB_SINK_ENTRY_SYMBOL) and nothing else the host looks at.
 * - **Version negotiation.** The host offers the ABI versions it speaks; the
 *   plugin picks one (normally the highest it knows) or refuses. The table
 *   of calls it returns is the one of the picked version.
 * - **Sizes and reserved room.** Every struct that crosses the boundary
 *   begins with `uint32_t struct_size`, set by whoever allocates it to
 *   `sizeof` as *its* header knew it, and ends with reserved fields that the
 *   allocator zeroes. A newer header only appends fields (or takes reserved
 *   ones); the reader of a struct checks `struct_size` (IOTB_SINK_HAS_FIELD)
 *   before touching a field that a peer built with an older header may not
 *   have. Enum-like values are fixed-width integers, never C enums.
 * - **Opaque handles.** `iotb_sink_instance` is the plugin's (the host never
 *   looks inside), `iotb_host_context` the host's (the plugin only passes it
 *   back).
 * - **Buffers are pointer + length** (`iotb_bytes`): not NUL-terminated
 *   unless a comment says so, may contain any byte, length 0 may come with
 *   a NULL pointer.
 * - **Ownership** is written in the type comments: *borrowed* means "valid
 *   only during the call, do not free, copy what you keep"; each side frees
 *   only what it allocated. Error texts go into host-owned buffers
 *   (`char* error, size_t error_capacity`): the plugin writes at most
 *   `error_capacity - 1` bytes and a NUL (iotb_sink_set_error does it), so
 *   no string ever needs to be freed across the boundary.
 * - **No C++ types, no exceptions, no longjmp** cross the boundary. A C++
 *   plugin catches everything in each call (sink.hpp does).
 *
 * ## Lifecycle
 *
 *   dlopen → iotb_sink_plugin_entry (negotiate) → describe
 *          → { create → deliver* / flush* → destroy }*  (any number of instances)
 *          → dlclose once no instance is left
 *
 * ## Threading
 *
 * - `iotb_sink_plugin_entry` and `describe` are called once, by the thread
 *   that loads plugins (at broker start).
 * - `create` may be called from any host thread, and for several instances
 *   at once: keep no unsynchronised global state.
 * - Each instance has **one dedicated worker thread, owned by the host**,
 *   which makes every `deliver` and `flush` call of that instance and, in
 *   the end, `destroy`. Calls on **one instance are never concurrent**;
 *   calls on different instances are (each on its own thread).
 * - `deliver` and `flush` **may block** (network, disk, fsync) up to the
 *   plugin's own timeout: that only delays this sink instance. It never
 *   slows MQTT traffic or other rules (SPEC §9). Keep the timeout bounded
 *   (seconds, not minutes): the host waits for the call to return before it
 *   can shut the instance down.
 * - The host callbacks (iotb_host_api) may be called from any thread, at any
 *   time between the call that handed them out and the end of the object's
 *   life (library unload for the entry's; `destroy` for an instance's).
 */
#ifndef IOTBROKER_SINK_H
#define IOTBROKER_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Versions and symbol                                                */
/* ------------------------------------------------------------------ */

/** ABI version 1: the structs and the call table of this header. */
#define IOTB_SINK_ABI_V1 1u
/** The newest ABI version this header describes. */
#define IOTB_SINK_ABI_VERSION IOTB_SINK_ABI_V1
/** The one symbol the host looks up (dlsym). */
#define IOTB_SINK_ENTRY_SYMBOL "iotb_sink_plugin_entry"

#if defined(_WIN32)
#define IOTB_SINK_EXPORT __declspec(dllexport)
#else
#define IOTB_SINK_EXPORT __attribute__((visibility("default")))
#endif

/** True when the struct at `p` (of type `type`, sized by its allocator in
 *  `struct_size`) is large enough to hold `field`. */
#define IOTB_SINK_HAS_FIELD(p, type, field) \
  ((p)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ------------------------------------------------------------------ */
/* Status codes                                                       */
/* ------------------------------------------------------------------ */

/** The result of a call, and of one record in a batch (int32_t). */
#define IOTB_SINK_OK 0 /**< done */
/** Not done, try again later: a transient failure (peer down, timeout).
 *  For a record: the host retries it after `delay_ms` (0: its own schedule,
 *  SPEC §9: 1 s, 3 s, 10 s, then drop). */
#define IOTB_SINK_RETRY 1
/** Permanent failure: never retried. For a record: the host drops it and
 *  sends an error record (with the error text) to the rule's error action.
 *  For `create`: the configuration is wrong. */
#define IOTB_SINK_DROP 2
/** The sink is overloaded: the record is not done, and the host sends this
 *  instance nothing for `delay_ms` (the whole sink backs off), then offers
 *  the record again. Not counted as a retry. */
#define IOTB_SINK_THROTTLE 3
/** Set by the host in every result before `deliver`: "the plugin did not
 *  say". A record still UNSET when `deliver` returns takes the status that
 *  `deliver` returned. Never returned by a plugin. */
#define IOTB_SINK_UNSET (-1)

/** Log levels of iotb_host_api.log (int32_t). */
#define IOTB_SINK_LOG_TRACE 0
#define IOTB_SINK_LOG_DEBUG 1
#define IOTB_SINK_LOG_INFO 2
#define IOTB_SINK_LOG_WARN 3
#define IOTB_SINK_LOG_ERROR 4

/* ------------------------------------------------------------------ */
/* Handles and buffers                                                */
/* ------------------------------------------------------------------ */

/** Opaque, plugin-owned: one configured sink (made by `create`, freed by
 *  `destroy`). */
typedef struct iotb_sink_instance iotb_sink_instance;

/** Opaque, host-owned: what the host callbacks need; passed back as is. */
typedef struct iotb_host_context iotb_host_context;

/** A borrowed byte range (not NUL-terminated). */
typedef struct iotb_bytes {
  const char* data;
  size_t size;
} iotb_bytes;

/* ------------------------------------------------------------------ */
/* Host callbacks                                                     */
/* ------------------------------------------------------------------ */

/** Host-owned table of callbacks; the plugin keeps the pointer as long as
 *  the object it came with lives (see "Threading" above). Thread-safe. */
typedef struct iotb_host_api {
  uint32_t struct_size; /**< sizeof(iotb_host_api) as the host knows it */
  uint32_t reserved0;
  /** Passed back as the first argument of every callback. */
  iotb_host_context* context;
  /** Writes one log line through the broker's log (which adds the time, the
   *  level and the plugin's and instance's names). `message` is borrowed,
   *  `length` bytes, no newline needed. The host rate-limits each context. */
  void (*log)(iotb_host_context* context, int32_t level, const char* message, size_t length);
  /** The host's wall clock, ms since the Unix epoch. Use it for time-based
   *  decisions (rotation, expiry) so that tests can drive time. */
  int64_t (*now_ms)(iotb_host_context* context);
  void* reserved[8]; /**< zero */
} iotb_host_api;

/* ------------------------------------------------------------------ */
/* Negotiation (iotb_sink_plugin_entry)                               */
/* ------------------------------------------------------------------ */

struct iotb_sink_plugin;

/** Host-allocated, filled in both directions during the entry call. */
typedef struct iotb_sink_entry_args {
  uint32_t struct_size; /**< in: sizeof as the host knows it */
  /** in: how many versions `host_versions` holds. */
  uint32_t host_version_count;
  /** in, borrowed: the ABI versions the host speaks. */
  const uint32_t* host_versions;
  /** in: plugin-wide callbacks (logging before any instance exists);
   *  valid until the library is unloaded. */
  const iotb_host_api* host;
  /** out: the version picked (one of host_versions), 0 when refusing. */
  uint32_t chosen_version;
  /** out: the range of versions the plugin speaks, for the host's log line
   *  when there is no common one. */
  uint32_t plugin_min_version;
  uint32_t plugin_max_version;
  uint32_t reserved1;
  /** out: the call table of `chosen_version`; plugin-owned, static, valid
   *  until the library is unloaded. For version 1: `iotb_sink_plugin`. */
  const struct iotb_sink_plugin* plugin;
  void* reserved[6]; /**< zero */
} iotb_sink_entry_args;

/** The one exported function. Fills the `out` fields of `args`.
 *  @returns IOTB_SINK_OK with `chosen_version` and `plugin` set, or
 *           IOTB_SINK_DROP to refuse (no common version: `chosen_version`
 *           0, the plugin's range filled in). */
typedef int32_t (*iotb_sink_plugin_entry_fn)(iotb_sink_entry_args* args);

/* ------------------------------------------------------------------ */
/* ABI version 1                                                      */
/* ------------------------------------------------------------------ */

/** Host-allocated and zeroed; `describe` fills it. The strings are
 *  plugin-owned, NUL-terminated UTF-8, static: valid until unload. */
typedef struct iotb_sink_description {
  uint32_t struct_size; /**< in: sizeof as the host knows it */
  uint32_t reserved0;
  /** The sink's name as rules name it: `[a-z0-9_-]{1,64}`, unique among the
   *  loaded plugins (the host refuses a second plugin with the same name). */
  const char* name;
  const char* version;     /**< the plugin's own version ("1.2.0") */
  const char* description; /**< one sentence */
  /** The configuration `create` takes: a JSON Schema, or a plain text
   *  listing the keys; NULL when it takes none. */
  const char* config_schema;
  void* reserved[8];
} iotb_sink_description;

/** Host-allocated, read-only for the plugin: what `create` needs. Borrowed:
 *  valid during the call only, except `host`, valid until `destroy`. */
typedef struct iotb_sink_create_args {
  uint32_t struct_size;
  uint32_t reserved0;
  /** The sink's configuration, a JSON object (UTF-8, not NUL-terminated). */
  iotb_bytes config_json;
  /** The host's name for this instance ("rule 7 action 2"), for log lines. */
  iotb_bytes instance_name;
  /** This instance's callbacks (log lines name the instance). */
  const iotb_host_api* host;
  /** Host-owned buffer for an error text when `create` fails: write at most
   *  `error_capacity - 1` bytes and a NUL (iotb_sink_set_error). */
  char* error;
  size_t error_capacity;
  void* reserved[6];
} iotb_sink_create_args;

/** One message for the sink; host-owned, read-only, valid until `deliver`
 *  returns (copy what you keep). */
typedef struct iotb_sink_record {
  uint32_t struct_size;
  /** 1 on the first delivery, 2 on the first retry, ... */
  uint32_t attempt;
  /** The rule's output for this message: a JSON value (an object for a
   *  SELECT), UTF-8, on one line. */
  iotb_bytes output;
  iotb_bytes topic;       /**< the topic the message was published on */
  iotb_bytes product_key; /**< the publishing device's product (may be empty) */
  iotb_bytes device_name; /**< the publishing device (may be empty) */
  iotb_bytes rule;        /**< the rule's name or id (may be empty) */
  uint64_t message_id;    /**< the broker's 64-bit message id */
  int64_t timestamp_ms;   /**< when the broker received it, ms since the epoch */
  void* reserved[4];
} iotb_sink_record;

/** The plugin's verdict on one record; host-owned, the plugin writes it. */
typedef struct iotb_sink_result {
  uint32_t struct_size;
  /** in: IOTB_SINK_UNSET; out: IOTB_SINK_OK / RETRY / DROP / THROTTLE. */
  int32_t status;
  /** out: RETRY: the least time to wait (0: the host's schedule);
   *  THROTTLE: how long the whole instance backs off. Milliseconds. */
  uint32_t delay_ms;
  uint32_t reserved0;
  /** Host-owned buffer for an error text (RETRY, DROP, THROTTLE): write at
   *  most `error_capacity - 1` bytes and a NUL; leave it for OK. */
  char* error;
  size_t error_capacity;
  void* reserved[2];
} iotb_sink_result;

/** A batch; host-owned, read-only, valid until `deliver` returns. Arrays of
 *  pointers, so that the structs can grow without breaking indexing. */
typedef struct iotb_sink_batch {
  uint32_t struct_size;
  uint32_t reserved0;
  size_t count; /**< records and results: `count` entries each, count >= 1 */
  const iotb_sink_record* const* records;
  /** One result per record, same index; the plugin writes into them. */
  iotb_sink_result* const* results;
  void* reserved[4];
} iotb_sink_batch;

/** The call table of ABI version 1 (plugin-owned, static). */
typedef struct iotb_sink_plugin {
  uint32_t struct_size; /**< sizeof as the plugin knows it */
  uint32_t abi_version; /**< IOTB_SINK_ABI_V1 */

  /** Fills `out` (host-allocated, zeroed, `struct_size` set).
   *  @returns IOTB_SINK_OK; anything else: the host refuses the plugin. */
  int32_t (*describe)(iotb_sink_description* out);

  /** Makes one configured instance into `*out`.
   *  @returns IOTB_SINK_OK with `*out` set; IOTB_SINK_DROP for a bad
   *           configuration, IOTB_SINK_RETRY for a transient problem (the
   *           database is down), each with a text in `args->error` and
   *           `*out` left NULL. */
  int32_t (*create)(const iotb_sink_create_args* args, iotb_sink_instance** out);

  /** Hands over a batch. The plugin sets each result it has an opinion on;
   *  results left IOTB_SINK_UNSET take the returned status (so a plugin
   *  that wrote every record returns IOTB_SINK_OK and sets nothing).
   *  Records of one instance come in order; a RETRY'd record may come again
   *  after later ones. May block up to the plugin's own timeout.
   *  @returns IOTB_SINK_OK, RETRY, DROP or THROTTLE (see above). */
  int32_t (*deliver)(iotb_sink_instance* instance, const iotb_sink_batch* batch);

  /** Makes what was delivered durable or sent (buffers written, files
   *  synced). Called when the host idles, before `destroy`, and at shutdown.
   *  @returns IOTB_SINK_OK, or RETRY/DROP with a text in `error`
   *           (host-owned, `error_capacity` bytes). */
  int32_t (*flush)(iotb_sink_instance* instance, char* error, size_t error_capacity);

  /** Frees the instance (after a last `flush`). The pointer is dead after. */
  void (*destroy)(iotb_sink_instance* instance);

  void* reserved[8]; /**< NULL */
} iotb_sink_plugin;

/* ------------------------------------------------------------------ */
/* Helpers (inline: nothing to link)                                  */
/* ------------------------------------------------------------------ */

/** Copies `length` bytes of `text` into the host-owned `buffer` of
 *  `capacity` bytes, truncated, NUL-terminated. Safe with NULL/0. */
static inline void iotb_sink_set_error(char* buffer, size_t capacity, const char* text,
                                       size_t length) {
  if (buffer == NULL || capacity == 0)
    return;
  if (text == NULL)
    length = 0;
  if (length > capacity - 1)
    length = capacity - 1;
  if (length > 0)
    memcpy(buffer, text, length);
  buffer[length] = '\0';
}

/** Picks the highest version in [min_version, max_version] that the host
 *  offers in `args`, and fills the `out` fields (plugin NULL when none).
 *  @returns the version picked, 0 when none is common. */
static inline uint32_t iotb_sink_negotiate(iotb_sink_entry_args* args, uint32_t min_version,
                                           uint32_t max_version) {
  uint32_t best = 0;
  uint32_t i;
  for (i = 0; i < args->host_version_count; ++i) {
    uint32_t v = args->host_versions[i];
    if (v >= min_version && v <= max_version && v > best)
      best = v;
  }
  args->chosen_version = best;
  args->plugin_min_version = min_version;
  args->plugin_max_version = max_version;
  args->plugin = NULL;
  return best;
}

/** Logs through `host` when it has a log callback (a printf-free helper:
 *  pass a NUL-terminated text). */
static inline void iotb_sink_log(const iotb_host_api* host, int32_t level, const char* text) {
  if (host != NULL && IOTB_SINK_HAS_FIELD(host, iotb_host_api, log) && host->log != NULL &&
      text != NULL)
    host->log(host->context, level, text, strlen(text));
}

/** The exported entry point. Define it (with IOTB_SINK_EXPORT) in exactly
 *  one source file of the plugin, or use IOTB_SINK_PLUGIN from sink.hpp. */
IOTB_SINK_EXPORT int32_t iotb_sink_plugin_entry(iotb_sink_entry_args* args);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* IOTBROKER_SINK_H */
