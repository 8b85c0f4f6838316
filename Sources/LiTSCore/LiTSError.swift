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
