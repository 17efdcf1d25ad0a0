#include "broker/tls/cert.hpp"

#include "broker/tls/openssl.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace iotb::tls {

namespace {

using result = expected<bool, std::string>;

/// `step` and the oldest queued BoringSSL error; the queue is cleared.
unexpected<std::string> why(const std::string& step) {
  std::uint32_t e = ERR_get_error();
  ERR_clear_error();
  std::string s = step;
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += ": ";
    s += buf;
  }
  return unexpected{std::move(s)};
}

bool valid_dns_name(const std::string& s) {
  if (s.empty() || s.size() > 253)
    return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '*';
    if (!ok)
      return false;
  }
  return true;
}

std::optional<std::string> check(const dev_cert_options& o) {
  if (o.common_name.empty() || o.common_name.size() > 64)
    return "the common name must have 1 to 64 characters";
  if (o.days < 1 || o.days > 36500)
    return "the validity must be 1 to 36500 days, not " + std::to_string(o.days);
  if (o.rsa_bits < 2048 || o.rsa_bits > 8192)
    return "the RSA key size must be 2048 to 8192 bits, not " + std::to_string(o.rsa_bits);
  for (const auto& d : o.dns_names)
    if (!valid_dns_name(d))
      return "invalid DNS name '" + d + "'";
  for (const auto& ip : o.ip_addresses) {
    in6_addr buf{};
    if (inet_pton(AF_INET, ip.c_str(), &buf) != 1 && inet_pton(AF_INET6, ip.c_str(), &buf) != 1)
      return "invalid IP address '" + ip + "'";
  }
  return std::nullopt;
}

bssl::UniquePtr<EVP_PKEY> make_key(int bits) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  if (!pkey || !rsa || !e || !BN_set_word(e.get(), RSA_F4) ||
      !RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr) ||
      !EVP_PKEY_assign_RSA(pkey.get(), rsa.release()))
    return nullptr;
  return pkey;
}

/// Appends a DNS (IA5String) or IP (OCTET STRING) name to `names`.
bool push_name(GENERAL_NAMES* names, int type, const void* bytes, std::size_t len) {
  bssl::UniquePtr<ASN1_STRING> s(type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new());
  bssl::UniquePtr<GENERAL_NAME> g(GENERAL_NAME_new());
  if (!s || !g || !ASN1_STRING_set(s.get(), bytes, static_cast<int>(len)))
    return false;
  GENERAL_NAME_set0_value(g.get(), type, s.release());
  if (!sk_GENERAL_NAME_push(names, g.get()))
    return false;
  (void)g.release();  // owned by names now
  return true;
}

/// subjectAltName from the (already validated) DNS names and IP addresses.
bool add_alt_names(X509* x, const dev_cert_options& o) {
  if (o.dns_names.empty() && o.ip_addresses.empty())
    return true;
  std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> names(GENERAL_NAMES_new(),
                                                                 GENERAL_NAMES_free);
  if (!names)
    return false;
  for (const auto& d : o.dns_names)
    if (!push_name(names.get(), GEN_DNS, d.data(), d.size()))
      return false;
  for (const auto& ip : o.ip_addresses) {
    std::uint8_t buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
      if (!push_name(names.get(), GEN_IPADD, buf, 4))
        return false;
    } else if (inet_pton(AF_INET6, ip.c_str(), buf) != 1 ||
               !push_name(names.get(), GEN_IPADD, buf, 16)) {
      return false;
    }
  }
  return X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool add_ext(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(x, ext.get(), -1) == 1;
}

bool set_subject(X509* x, const std::string& cn) {
  X509_NAME* name = X509_get_subject_name(x);
  auto add = [name](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.data()),
                                      static_cast<int>(v.size()), -1, 0) == 1;
  };
  return add("O", "iotbroker development") && add("CN", cn) && X509_set_issuer_name(x, name) == 1;
}

/// A signed certificate for `pkey`, or the reason it could not be made.
expected<bssl::UniquePtr<X509>, std::string> make_cert(EVP_PKEY* pkey, const dev_cert_options& o) {
  bssl::UniquePtr<X509> x(X509_new());
  bssl::UniquePtr<BIGNUM> serial(BN_new());
  // A random positive 127-bit serial (RFC 5280 §4.1.2.2: at most 20 octets).
  if (!x || !serial || !X509_set_version(x.get(), X509_VERSION_3) ||
      !BN_rand(serial.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())))
    return why("making the certificate");
  // An hour of slack for clocks that lag behind.
  if (!X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(o.days) * 86400L) ||
      !set_subject(x.get(), o.common_name) || !X509_set_pubkey(x.get(), pkey))
    return why("filling in the certificate");
  if (!add_alt_names(x.get(), o) || !add_ext(x.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_ext(x.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") ||
      !add_ext(x.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_ext(x.get(), NID_subject_key_identifier, "hash"))
    return why("adding certificate extensions");
  if (!X509_sign(x.get(), pkey, EVP_sha256()))
    return why("signing the certificate");
  return x;
}

/// Writes the contents of `bio` to `path`, created with `mode`; `force`
/// also applies it to an existing file, regardless of the umask.
result write_file(const std::string& path, BIO* bio, mode_t mode, bool force) {
  const std::uint8_t* data = nullptr;
  std::size_t len = 0;
  BIO_mem_contents(bio, &data, &len);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return unexpected{"cannot write '" + path + "': " + std::strerror(errno)};
  bool ok = !force || ::fchmod(fd, mode) == 0;
  while (ok && len > 0) {
    auto n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    if (ok) {
      data += n;
      len -= static_cast<std::size_t>(n);
    }
  }
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok)
    return unexpected{"cannot write '" + path + "': " + std::strerror(err)};
  return true;
}

}  // namespace

expected<bool, std::string> make_self_signed(const std::string& cert_path,
                                             const std::string& key_path,
                                             const dev_cert_options& o) {
  if (auto bad = check(o))
    return unexpected{std::move(*bad)};
  ERR_clear_error();
  auto pkey = make_key(o.rsa_bits);
  if (!pkey)
    return why("generating the RSA key");
  auto cert = make_cert(pkey.get(), o);
  if (!cert)
    return unexpected{cert.error()};
  bssl::UniquePtr<BIO> key_pem(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> cert_pem(BIO_new(BIO_s_mem()));
  if (!key_pem || !cert_pem ||
      !PEM_write_bio_PrivateKey(key_pem.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_pem.get(), cert->get()))
    return why("encoding PEM");
  if (auto r = write_file(key_path, key_pem.get(), 0600, true); !r)
    return r;
  return write_file(cert_path, cert_pem.get(), 0644, false);
}

}  // namespace iotb::tls
