import Foundation

/// Progress on stderr: a live line (done/total, rate, ETA) on a terminal, plain log lines otherwise.
public final class Progress: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let start = Date()
    private var done = 0
    private let lock = NSLock()
    private let live = isatty(STDERR_FILENO) == 1

    public init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    /// Marks one item finished; `item` says which, for log lines.
    public func step(_ item: String) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = Double(total - done) / max(rate, 1e-9)
        let text = "\(label) \(done)/\(total) \(String(format: "%.2f", rate))/s ETA \(Progress.clock(eta))"
        if live {
            FileHandle.standardError.write(Data("\r\(text) \(item)\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            FileHandle.standardError.write(Data("\(text) \(item)\n".utf8))
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }
}
