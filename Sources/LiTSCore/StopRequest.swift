import Dispatch
import Foundation

/// A request to stop a long run at the next safe point (after a batch, between cases). Signals
/// become requests through dispatch sources, so no signal handler touches program state.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var signalNumber: Int32?

    public init() {}

    /// The exit status a stopped run ends with: 128 + the signal that asked, as the shell
    /// reports a signal (130 for SIGINT, 143 for SIGTERM); 130 when no signal asked.
    public var exitStatus: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return 128 + (signalNumber ?? SIGINT)
    }

    /// Whether `status` is what a stopped (signalled) run exits with.
    public static func isSignalExit(_ status: Int32) -> Bool { (129...159).contains(status) }

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    public func request(signal: Int32? = nil) {
        lock.lock()
        if !requested { signalNumber = signal }
        requested = true
        lock.unlock()
    }

    /// SIGINT (Ctrl-C) and SIGTERM (what Slurm sends at a time limit) request a stop instead of
    /// ending the process; a second signal ends it at once, removing unfinished files.
    public func catchSignals(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        TempFiles.inProgress.removeOnSignals()
        TempFiles.inProgress.intercept { [weak self] sig in
            guard let self, signals.contains(sig), !self.isRequested else { return false }
            self.request(signal: sig)
            return true
        }
    }
}
