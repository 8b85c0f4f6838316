import Foundation

/// What a run over a dataset's cases produced: the results in case order, and the cases that
/// failed with their one-line messages.
public struct CaseRunResult<R> {
    public var results: [(Case, R)]
    public var failures: [(Case, String)]

    public init(results: [(Case, R)], failures: [(Case, String)]) {
        self.results = results
        self.failures = failures
    }

    /// Failed case ids and their messages, as reports and manifests record them.
    public var failedByID: [String: String] {
        Dictionary(failures.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Runs a job over cases, `threads` at a time, with progress on stderr. A failing case is recorded
/// and skipped; the others still run. Every command that walks a dataset goes through here.
public enum CaseRunner {
    public static func run<R>(_ cases: [Case], threads: Int, label: String,
                              _ job: @escaping @Sendable (Case) throws -> R) -> CaseRunResult<R> {
        let progress = Progress(label: label, total: cases.count)
        let lock = NSLock()
        nonisolated(unsafe) var results: [Int: R] = [:]
        nonisolated(unsafe) var failures: [Int: String] = [:]
        nonisolated(unsafe) var next = 0
        let workers = max(1, min(threads, cases.count))
        Parallel.perform(iterations: workers) { _ in
            while true {
                lock.lock()
                let n = next
                next += 1
                lock.unlock()
                guard n < cases.count else { return }
                let c = cases[n]
                let outcome: Result<R, Error> = Result { try job(c) }
                lock.lock()
                switch outcome {
                case .success(let r): results[n] = r
                case .failure(let e): failures[n] = (e as? LiTSError)?.description ?? "\(c.volumePath): \(e)"
                }
                lock.unlock()
                // The case's freed buffers go back to the kernel, so the peak does not creep up
                // with the number of cases (see VolumeMemory.releaseFreedPages).
                VolumeMemory.releaseFreedPages()
                progress.step("case \(c.id)")
            }
        }
        let ok = (0..<cases.count).compactMap { n in results[n].map { (cases[n], $0) } }
        let failed = (0..<cases.count).compactMap { n in failures[n].map { (cases[n], $0) } }
        return CaseRunResult(results: ok, failures: failed)
    }
}
