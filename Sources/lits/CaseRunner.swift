import ArgumentParser
import Foundation
import LiTSCore

/// Runs a job over cases, `threads` at a time. A failing case is reported and skipped; the others
/// still run. Returns the results in case order and the failures.
func runCases<R>(_ cases: [Case], threads: Int, label: String,
                 _ job: @escaping @Sendable (Case) throws -> R) -> (results: [(Case, R)], failures: [(Case, String)]) {
    let progress = Progress(label: label, total: cases.count)
    let lock = NSLock()
    var results: [Int: R] = [:]
    var failures: [Int: String] = [:]
    var next = 0
    let workers = max(1, min(threads, cases.count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
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
            progress.step("case \(c.id)")
        }
    }
    let ok = (0..<cases.count).compactMap { n in results[n].map { (cases[n], $0) } }
    let failed = (0..<cases.count).compactMap { n in failures[n].map { (cases[n], $0) } }
    return (ok, failed)
}

/// Prints every failed case and, if any failed, exits non-zero after the others finished.
func reportFailures(_ failures: [(Case, String)], total: Int) throws {
    guard !failures.isEmpty else { return }
    for (_, message) in failures { printError(message) }
    printError("\(failures.count) of \(total) cases failed: \(failures.map { $0.0.id }.joined(separator: ", "))")
    throw ExitCode.failure
}
