/* Test plugin (plain C) linking OpenSSL 3's libcrypto.so.3: its description
 * says which OpenSSL_version_num() its own calls reach. Loaded with
 * RTLD_DEEPBIND that is OpenSSL 3's (0x3...); without it the broker's
 * BoringSSL, global and unversioned, answers instead (0x1010107f): the
 * interposition SPEC §9 "Crash isolation" is about. */
#include <stdio.h>

#include "iotbroker/sink.h"

unsigned long OpenSSL_version_num(void); /* OpenSSL 3: no headers needed */

static char description[64];

static int32_t describe(iotb_sink_description* out) {
  snprintf(description, sizeof description, "OpenSSL_version_num=0x%lx", OpenSSL_version_num());
  out->name = "tls_probe";
  out->version = "0.0.1";
  out->description = description;
  out->config_schema = NULL;
  return IOTB_SINK_OK;
}

static int32_t create(const iotb_sink_create_args* args, iotb_sink_instance** out) {
  static const char msg[] = "a probe makes no instances";
  *out = NULL;
  iotb_sink_set_error(args->error, args->error_capacity, msg, sizeof msg - 1);
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
