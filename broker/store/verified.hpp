#pragma once
/// @file
/// Internal to broker/store: FlatBuffers verification of a record read from
/// LMDB.

#include <cstdint>
#include <span>
#include <vector>

#include <flatbuffers/flatbuffers.h>

namespace iotb::store {

/// Verifies `b` as a `T` root and returns it, or nullptr when the bytes are
/// not a valid `T` (corrupt or truncated). LMDB values are only 2-byte
/// aligned while FlatBuffers needs natural alignment, so the bytes are first
/// copied into a (malloc-aligned) per-thread buffer: the result is valid
/// until the next call on this thread with the same `slot` (two slots let a
/// caller hold two records at once, e.g. a queue entry and its message).
template <class T>
const T* verified(std::span<const std::uint8_t> b, int slot = 0) {
  thread_local std::vector<std::uint8_t> copies[2];
  auto& copy = copies[slot];
  copy.assign(b.begin(), b.end());
  flatbuffers::Verifier v(copy.data(), copy.size());
  if (!v.VerifyBuffer<T>(nullptr))
    return nullptr;
  return flatbuffers::GetRoot<T>(copy.data());
}

}  // namespace iotb::store
