/* Test plugin (plain C): speaks only ABI version 99, so no broker that
 * offers 1 can load it. */
#include "iotbroker/sink.h"

IOTB_SINK_EXPORT int32_t iotb_sink_plugin_entry(iotb_sink_entry_args* args) {
  if (iotb_sink_negotiate(args, 99, 99) == 0)
    return IOTB_SINK_DROP;
  return IOTB_SINK_OK; /* unreachable with a broker of ABI 1 */
}
