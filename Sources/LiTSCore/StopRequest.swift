import Dispatch
import Foundation

/// A request to stop a long run at the next safe point (after a batch, between cases). Signals
/// become requests through dispatch sources, so no signal handler touches program state.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// SIGINT (Ctrl-C) and SIGTERM (what Slurm sends at a time limit) request a stop instead of
    /// ending the process; a second signal ends it at once, removing unfinished files.
    public func catchSignals(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        TempFiles.inProgress.removeOnSignals()
        TempFiles.inProgress.intercept { [weak self] sig in
            guard let self, signals.contains(sig), !self.isRequested else { return false }
            self.request()
            return true
        }
    }
}
