// libFuzzer target for the durable-store record parsers: StoredMessage and
// Session records as read back from LMDB (a corrupt or truncated file, or
// one written by another version, must give `corrupt`, never a crash).
//
// Invariants checked: decoding never crashes; a record that decodes
// re-encodes to bytes that decode to the same value.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "broker/store/session_store.hpp"
#include "broker/util/clock.hpp"

using namespace iotb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  auto now = clock::now();
  if (auto m = store::decode_message(in, 1'000'000, now)) {
    auto again = store::decode_message(store::encode_message(**m, 1'000'000), 1'000'000, now);
    if (!again || (*again)->topic != (*m)->topic || (*again)->payload != (*m)->payload ||
        !((*again)->props == (*m)->props))
      std::abort();
  }
  if (auto s = store::decode_session(in)) {
    auto again = store::decode_session(store::encode_session(*s));
    if (!again || !(*again == *s))
      std::abort();
  }
  return 0;
}
