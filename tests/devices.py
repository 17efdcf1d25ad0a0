"""Device-side helpers for the integration tests: what a device SDK computes
(SPEC §2.1 signed CONNECT, §2.2 dynamic registration), in plain Python so
the tests check the broker against an independent implementation."""
import hashlib
import hmac
import ssl

METHODS = {"hmacmd5": hashlib.md5, "hmacsha1": hashlib.sha1, "hmacsha256": hashlib.sha256}


def sign(secret, content, method="hmacsha256", upper=True):
    h = hmac.new(secret.encode(), content.encode(), METHODS[method]).hexdigest()
    return h.upper() if upper else h


def device_credentials(pk, dn, secret, method="hmacsha256", client_id=None, timestamp=None,
                       extra=""):
    """(mqtt client id, username, password) exactly as the C SDK builds them."""
    cid = client_id or "%s.%s" % (pk, dn)
    params = {"clientId": cid, "deviceName": dn, "productKey": pk}
    if timestamp is not None:
        params["timestamp"] = str(timestamp)
    content = "".join(k + params[k] for k in sorted(params))
    ext = "securemode=3,signmethod=%s" % method
    if timestamp is not None:
        ext = "timestamp=%s,_v=sdk-c-3.2.0,%s,lan=C" % (timestamp, ext)
    if extra:
        ext += "," + extra
    return "%s|%s|" % (cid, ext), "%s&%s" % (dn, pk), sign(secret, content, method)


def register_credentials(pk, dn, product_secret, auth_type="register", random="4711",
                         method="hmacsha256", client_id=None):
    """Dynamic registration CONNECT (SPEC §2.2)."""
    content = "deviceName%sproductKey%srandom%s" % (dn, pk, random)
    mode = "2" if auth_type == "register" else "-2"
    cid = client_id or "%s.%s" % (dn, pk)
    client_id_ext = "%s|random=%s,authType=%s,securemode=%s,signmethod=%s|" % (
        cid, random, auth_type, mode, method)
    return client_id_ext, "%s&%s" % (dn, pk), sign(product_secret, content, method)


def tls_context(ca_file=None, verify=True, tls12_rsa=False):
    """A client TLS context trusting `ca_file`; `tls12_rsa` mimics the mbedtls
    SDKs (TLS 1.2, RSA key exchange, AES-CBC)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(ca_file)
        ctx.check_hostname = True  # the dev certificate names 127.0.0.1
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if tls12_rsa:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-SHA")
    return ctx
