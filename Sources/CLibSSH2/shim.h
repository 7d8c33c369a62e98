#ifndef FLOTILLA_CLIBSSH2_SHIM_H
#define FLOTILLA_CLIBSSH2_SHIM_H

#include <libssh2.h>
#include <libssh2_publickey.h>

// 1.10 signs RSA keys only with SHA-1 ssh-rsa, which OpenSSH 8.8+ refuses. Without flotilla-libssh2.pc SwiftPM
// would fall back to the system's headers and library: refuse to build instead of building a client that fails.
#if LIBSSH2_VERSION_NUM < 0x010b00
#error "Flotilla needs libssh2 1.11 or later (RSA keys with rsa-sha2-256/512): run scripts/setup.sh as root"
#endif

// Swift's Glibc overlay exposes neither epoll nor eventfd.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>

// epoll_data is a union: Swift cannot build one inline, so these helpers do.
static inline struct epoll_event flotilla_epoll_event(uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return ev;
}
static inline uint64_t flotilla_epoll_token(const struct epoll_event *ev) { return ev->data.u64; }

// The server's last SSH_MSG_DISCONNECT text ("Too many authentication failures"...), kept for error messages.
// libssh2 hands the callback the session's abstract pointer, which Flotilla sets to one of these per session.
#include <string.h>
struct flotilla_disconnect {
    int reason;
    char message[256];
};
static void flotilla_on_disconnect(LIBSSH2_SESSION *session, int reason, const char *message, int message_len,
                                   const char *language, int language_len, void **abstract) {
    (void)session; (void)language; (void)language_len;
    struct flotilla_disconnect *d = abstract ? (struct flotilla_disconnect *)*abstract : 0;
    if (!d) return;
    int n = message_len < 0 ? 0 : (message_len > 255 ? 255 : message_len);
    d->reason = reason;
    if (message && n > 0) memcpy(d->message, message, (size_t)n);
    d->message[n] = 0;
}
static inline void flotilla_watch_disconnect(LIBSSH2_SESSION *session) {
    libssh2_session_callback_set(session, LIBSSH2_CALLBACK_DISCONNECT, (void *)flotilla_on_disconnect);
}

// setns(2) is declared by <sched.h> only under _GNU_SOURCE; declare it here instead.
extern int setns(int fd, int nstype);
#define FLOTILLA_CLONE_NEWNET 0x40000000

// Signature checks for OpenSSH certificates (the CA's signature over a host certificate), with the OpenSSL 3 that
// libssh2 is built on and linked with. Each returns 1 for a valid signature, 0 for an invalid one, -1 when the key
// cannot be loaded. `digest` is an OpenSSL digest name ("SHA256"...); ed25519 takes none.
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

static inline int flotilla_verify_with(EVP_PKEY *key, const char *digest, const unsigned char *sig, size_t sig_len,
                                       const unsigned char *msg, size_t msg_len) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -1;
    if (ctx && EVP_DigestVerifyInit_ex(ctx, NULL, digest, NULL, NULL, key, NULL) == 1)
        rc = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1 ? 1 : 0;
    EVP_MD_CTX_free(ctx);
    return rc;
}

static inline EVP_PKEY *flotilla_public_key(const char *type, OSSL_PARAM_BLD *bld) {
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    EVP_PKEY *key = NULL;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return key;
}

static inline int flotilla_verify_ed25519(const unsigned char *pk, size_t pk_len, const unsigned char *sig,
                                          size_t sig_len, const unsigned char *msg, size_t msg_len) {
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, pk_len);
    if (!key) return -1;
    int rc = flotilla_verify_with(key, NULL, sig, sig_len, msg, msg_len);
    EVP_PKEY_free(key);
    return rc;
}

// `group` is OpenSSL's curve name (prime256v1, secp384r1, secp521r1), `q` the point as SSH sends it, `r` and `s`
// the signature's two integers (SSH mpints without their length).
static inline int flotilla_verify_ecdsa(const char *group, const char *digest, const unsigned char *q, size_t q_len,
                                        const unsigned char *r, size_t r_len, const unsigned char *s, size_t s_len,
                                        const unsigned char *msg, size_t msg_len) {
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (!bld) return -1;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, q_len);
    EVP_PKEY *key = flotilla_public_key("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!key) return -1;
    int rc = -1;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(r, (int)r_len, NULL), *bs = BN_bin2bn(s, (int)s_len, NULL);
    if (sig && br && bs && ECDSA_SIG_set0(sig, br, bs) == 1) {
        br = bs = NULL; // owned by sig now
        unsigned char *der = NULL;
        int der_len = i2d_ECDSA_SIG(sig, &der);
        if (der_len > 0) rc = flotilla_verify_with(key, digest, der, (size_t)der_len, msg, msg_len);
        OPENSSL_free(der);
    }
    BN_free(br);
    BN_free(bs);
    ECDSA_SIG_free(sig);
    EVP_PKEY_free(key);
    return rc;
}

// RSASSA-PKCS1-v1_5 with `digest`; `e` and `n` as SSH mpints without their length.
static inline int flotilla_verify_rsa(const char *digest, const unsigned char *e, size_t e_len, const unsigned char *n,
                                      size_t n_len, const unsigned char *sig, size_t sig_len,
                                      const unsigned char *msg, size_t msg_len) {
    BIGNUM *be = BN_bin2bn(e, (int)e_len, NULL), *bn = BN_bin2bn(n, (int)n_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *key = NULL;
    if (be && bn && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
        key = flotilla_public_key("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(be);
    BN_free(bn);
    if (!key) return -1;
    int rc = flotilla_verify_with(key, digest, sig, sig_len, msg, msg_len);
    EVP_PKEY_free(key);
    return rc;
}

#endif
