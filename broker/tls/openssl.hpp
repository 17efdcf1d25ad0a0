#pragma once
/// @file
/// The one header that includes OpenSSL-API headers. They must come from
/// BoringSSL (/usr/include/android): an OpenSSL 3 build in the same process
/// would bind to BoringSSL's unversioned symbols silently.

#include <openssl/base.h>

#ifndef OPENSSL_IS_BORINGSSL
#error "iotbroker must be built against BoringSSL (android-libboringssl-dev), not OpenSSL"
#endif

#include <openssl/rand.h>
