import Foundation

/// Problems in input files that are not errors (the file is still read): each is one line,
/// "PATH: problem". Readers return them (e.g. `NIfTISource.warnings`) and also hand each to
/// `LiTSWarnings.emit`, whose handler by default prints "lits: warning: PATH: problem" to stderr, so the
/// CLI shows them without further code. Set `LiTSWarnings.handler` to collect them elsewhere (or
/// to nil to drop them).
public enum LiTSWarnings {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _handler: (@Sendable (String) -> Void)? = { line in
        FileHandle.standardError.write(Data("lits: warning: \(line)\n".utf8))
    }

    public static var handler: (@Sendable (String) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return _handler }
        set { lock.lock(); _handler = newValue; lock.unlock() }
    }

    public static func emit(_ line: String) {
        handler?(line)
    }
}
