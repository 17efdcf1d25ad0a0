/* Test plugin (plain C): every create fails with a message, except with the
 * configuration {"transient":true}, which fails as a temporary problem. */
#include <string.h>

#include "iotbroker/sink.h"

static int32_t describe(iotb_sink_description* out) {
  out->name = "create_fails";
  out->version = "0.0.1";
  out->description = "test: create always fails";
  out->config_schema = NULL;
  return IOTB_SINK_OK;
}

static int32_t create(const iotb_sink_create_args* args, iotb_sink_instance** out) {
  static const char msg[] = "cannot connect to the test database: refused by design";
  static const char transient[] = "{\"transient\":true}";
  *out = NULL;
  iotb_sink_log(args->host, IOTB_SINK_LOG_INFO, "create called");
  iotb_sink_set_error(args->error, args->error_capacity, msg, sizeof msg - 1);
  if (args->config_json.size == sizeof transient - 1 &&
      memcmp(args->config_json.data, transient, sizeof transient - 1) == 0)
    return IOTB_SINK_RETRY;
  return IOTB_SINK_DROP;
}

static int32_t deliver(iotb_sink_instance* instance, const iotb_sink_batch* batch) {
  (void)instance;
  (void)batch;
  return IOTB_SINK_DROP;
}

static int32_t flush(iotb_sink_instance* instance, char* error, size_t error_capacity) {
  (void)instance;
  (void)error;
  (void)error_capacity;
  return IOTB_SINK_OK;
}

static void destroy(iotb_sink_instance* instance) {
  (void)instance;
}

static const iotb_sink_plugin table = {
    sizeof(iotb_sink_plugin), IOTB_SINK_ABI_V1, describe, create, deliver, flush, destroy, {0}};

IOTB_SINK_EXPORT int32_t iotb_sink_plugin_entry(iotb_sink_entry_args* args) {
  if (iotb_sink_negotiate(args, IOTB_SINK_ABI_V1, IOTB_SINK_ABI_V1) == 0)
    return IOTB_SINK_DROP;
  args->plugin = &table;
  return IOTB_SINK_OK;
}
