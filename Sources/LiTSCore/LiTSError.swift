import Foundation

/// Every failure caused by user input. The message names the file and what is wrong,
/// on one line, so the CLI can print it as is.
public struct LiTSError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public enum Kind: String, Sendable {
        case notFound, unreadable, invalidHeader, unsupported, corrupt, mismatch, invalidValues
        case invalidArgument, notWritable, noCases
    }

    public let kind: Kind
    public let path: String?
    public let reason: String

    public init(_ kind: Kind, path: String?, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String {
        if let path { return "\(path): \(reason)" }
        return reason
    }

    public var errorDescription: String? { description }
}

extension LiTSError {
    /// What a write's errno means, in words the user can act on (a full disk must not read as
    /// "folder not writable").
    public static func writeProblem(_ code: Int32) -> String {
        switch code {
        case 0: return "write failed"
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "disk quota exceeded"
        case EACCES, EPERM: return "permission denied (folder not writable)"
        case EROFS: return "read-only file system"
        case ENOENT: return "folder missing"
        case ENOTDIR: return "a part of the path is not a folder"
        case ENAMETOOLONG: return "name too long for the file system"
        case EFBIG: return "file too large for the file system"
        case EIO: return "input/output error on the device"
        default: return String(cString: strerror(code))
        }
    }

    /// "PATH: ACTION: problem" for a failed write, from its errno.
    public static func writeFailed(_ path: String, _ action: String, errno code: Int32) -> LiTSError {
        LiTSError(.notWritable, path: path, "\(action): \(writeProblem(code))")
    }

    /// The POSIX errno behind a Foundation file error, or 0 when it carries none.
    public static func posixCode(of error: Error) -> Int32 {
        var e: NSError? = error as NSError
        while let current = e {
            if current.domain == NSPOSIXErrorDomain { return Int32(current.code) }
            e = current.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        return 0
    }
}
