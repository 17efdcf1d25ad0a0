#include "broker/tls/cert.hpp"

#include "broker/tls/openssl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace iotb::tls {

namespace {

std::string why(const char* step) {
  auto e = ERR_get_error();
  ERR_clear_error();
  std::string s = step;
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += ": ";
    s += buf;
  }
  return s;
}

bool add_ext(X509* x, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext)
    return false;
  bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

struct file_closer {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

expected<bool, std::string> make_self_signed(const std::string& cert_path,
                                             const std::string& key_path,
                                             const dev_cert_options& o) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  if (!pkey || !rsa || !e || !BN_set_word(e.get(), RSA_F4) ||
      !RSA_generate_key_ex(rsa.get(), o.rsa_bits, e.get(), nullptr) ||
      !EVP_PKEY_assign_RSA(pkey.get(), rsa.release()))
    return unexpected{why("generating the RSA key")};
  bssl::UniquePtr<X509> x(X509_new());
  bssl::UniquePtr<BIGNUM> serial(BN_new());
  if (!x || !serial || !X509_set_version(x.get(), X509_VERSION_3) ||
      !BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())))
    return unexpected{why("making the certificate")};
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(o.days) * 86400L);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("iotbroker development"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(o.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), pkey.get());
  std::string san;
  for (auto& d : o.dns_names)
    san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (auto& ip : o.ip_addresses)
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  if ((!san.empty() && !add_ext(x.get(), NID_subject_alt_name, san)) ||
      !add_ext(x.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_ext(x.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") ||
      !add_ext(x.get(), NID_ext_key_usage, "serverAuth,clientAuth"))
    return unexpected{why("adding certificate extensions")};
  if (!X509_sign(x.get(), pkey.get(), EVP_sha256()))
    return unexpected{why("signing the certificate")};

  int kfd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (kfd < 0)
    return unexpected{"cannot write " + key_path};
  std::unique_ptr<FILE, file_closer> kf(fdopen(kfd, "w"));
  if (!kf || !PEM_write_PrivateKey(kf.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return unexpected{why(("writing " + key_path).c_str())};
  std::unique_ptr<FILE, file_closer> cf(std::fopen(cert_path.c_str(), "w"));
  if (!cf || !PEM_write_X509(cf.get(), x.get()))
    return unexpected{"cannot write " + cert_path};
  return true;
}

}  // namespace iotb::tls
