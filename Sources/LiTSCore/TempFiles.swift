import Dispatch
import Foundation

/// Temporary files of writes in progress (AtomicFile's hidden `.NAME.tmp-PID-N.EXT` files, NAME a
/// hash for long names), so an interrupted run removes them instead of leaving them for the next
/// run to trip over.
public final class TempFiles: @unchecked Sendable {
    public static let inProgress = TempFiles()

    private let lock = NSLock()
    private var paths = Set<String>()
    private var sources: [Int32: DispatchSourceSignal] = [:]
    /// Sees a signal first; returns true when it handled it (the process goes on).
    private var interceptor: (@Sendable (Int32) -> Bool)?

    public func add(_ path: String) {
        lock.lock()
        paths.insert(path)
        lock.unlock()
    }

    public func remove(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Unlinks every temporary file still being written.
    public func unlinkAll() {
        lock.lock()
        for p in paths { unlink(p) }
        paths.removeAll()
        lock.unlock()
    }

    /// SIGINT, SIGTERM (Slurm's time limit) and SIGHUP remove the temporary files and end the
    /// process with 128 + the signal, as the shell reports a signal. Finished outputs stay.
    /// Installing twice is harmless.
    public func removeOnSignals(_ signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]) {
        lock.lock()
        defer { lock.unlock() }
        for sig in signals where sources[sig] == nil {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.handle(sig) }
            source.resume()
            sources[sig] = source
        }
    }

    /// Lets `handler` take signals first (a training run stops after its batch instead); when it
    /// returns false the files are removed and the process ends as usual.
    public func intercept(_ handler: (@Sendable (Int32) -> Bool)?) {
        lock.lock()
        interceptor = handler
        lock.unlock()
    }

    private func handle(_ sig: Int32) {
        lock.lock()
        let first = interceptor
        lock.unlock()
        if let first, first(sig) { return }
        unlinkAll()
        FileHandle.standardError.write(Data("lits: interrupted (signal \(sig)); unfinished files removed\n".utf8))
        // _exit, not exit: other threads (OpenBLAS, the training workers) are still running, and
        // exit's atexit handlers and static destructors tore their state down under them (SIGSEGV).
        fflush(nil)   // every output stream, stdout included
        _exit(128 + sig)
    }

    /// Whether a temp file name was left by a process that is gone (killed with SIGKILL, a crash).
    static func isStale(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-") else { return false }
        let pidText = name[range.upperBound...].prefix { $0.isNumber }
        guard let pid = Int32(pidText), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
