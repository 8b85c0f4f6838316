import Dispatch
import Foundation

/// A request to stop a long run at the next safe point (after a batch, between cases). Signals
/// become requests through dispatch sources, so no signal handler touches program state.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

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
    /// ending the process.
    public func catchSignals(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            lock.lock()
            sources.append(source)
            lock.unlock()
        }
    }
}
