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

#endif
