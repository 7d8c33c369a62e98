import CLibSSH2
import Synchronization

/// The one file that translates libssh2's C conventions (return codes, errno-style state) into Swift.
enum LibSSH2 {
    private static let initialized = Mutex(false)

    /// `libssh2_init` is not thread safe: call it once before any loop thread touches libssh2.
    static func initializeOnce() {
        initialized.withLock { done in
            guard !done else { return }
            let rc = libssh2_init(0)
            precondition(rc == 0, "libssh2_init failed: \(rc)")
            done = true
        }
    }

    static let eagain: Int32 = LIBSSH2_ERROR_EAGAIN

    /// The session's last error as (code, message).
    static func lastError(_ session: OpaquePointer?) -> (code: Int32, message: String) {
        guard let session else { return (0, "no session") }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        let text = message.map { String(cString: $0) } ?? ""
        return (code, text.isEmpty ? name(of: code) : text)
    }

    /// A readable name for a libssh2 error code.
    static func name(of code: Int32) -> String {
        switch code {
        case LIBSSH2_ERROR_SOCKET_NONE: "socket error"
        case LIBSSH2_ERROR_BANNER_RECV: "no SSH banner received"
        case LIBSSH2_ERROR_BANNER_SEND: "could not send the SSH banner"
        case LIBSSH2_ERROR_KEX_FAILURE: "key exchange failed"
        case LIBSSH2_ERROR_SOCKET_SEND: "could not send on the socket"
        case LIBSSH2_ERROR_SOCKET_DISCONNECT: "the server closed the connection"
        case LIBSSH2_ERROR_PROTO: "SSH protocol error"
        case LIBSSH2_ERROR_PASSWORD_EXPIRED: "password expired"
        case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: "public key not verified"
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED: "authentication failed"
        case LIBSSH2_ERROR_CHANNEL_FAILURE: "channel failure"
        case LIBSSH2_ERROR_CHANNEL_CLOSED: "channel closed"
        case LIBSSH2_ERROR_CHANNEL_EOF_SENT: "channel EOF already sent"
        case LIBSSH2_ERROR_SOCKET_TIMEOUT: "socket timeout"
        case LIBSSH2_ERROR_SOCKET_RECV: "could not receive on the socket"
        case LIBSSH2_ERROR_EAGAIN: "would block"
        case LIBSSH2_ERROR_BAD_USE: "libssh2 misuse"
        case LIBSSH2_ERROR_KNOWN_HOSTS: "known_hosts error"
        case LIBSSH2_ERROR_METHOD_NONE: "no common algorithm"
        case LIBSSH2_ERROR_FILE: "key file error"
        default: "libssh2 error \(code)"
        }
    }

    /// Codes that mean the connection itself is gone, not just this channel.
    static func isFatalToSession(_ code: Int32) -> Bool {
        switch code {
        case LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
             LIBSSH2_ERROR_SOCKET_NONE, LIBSSH2_ERROR_PROTO, LIBSSH2_ERROR_KEX_FAILURE,
             LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_BAD_USE:
            true
        default:
            false
        }
    }
}
