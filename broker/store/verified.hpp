#pragma once
/// @file
/// Internal to broker/store: FlatBuffers verification of a record read from
/// LMDB, and the small helpers every record codec shares.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "broker/store/env.hpp"

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

/// A string field's text; empty when the field is absent.
inline std::string fb_str(const flatbuffers::String* s) {
  return s ? s->str() : std::string{};
}

/// The finished buffer's bytes.
inline std::vector<std::uint8_t> fb_bytes(flatbuffers::FlatBufferBuilder& b) {
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

/// The error for a `kind` record that failed verification.
inline error corrupt_record(const char* kind) {
  return error{errc::corrupt, std::string("a ") + kind + " record failed verification"};
}

}  // namespace iotb::store
