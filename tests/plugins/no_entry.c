/* Test "plugin": a real shared library without iotb_sink_plugin_entry. */
__attribute__((visibility("default"))) int iotb_test_not_a_plugin(void) {
  return 42;
}
