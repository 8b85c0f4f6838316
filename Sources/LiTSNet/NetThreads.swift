import COpenBLAS
import Foundation

// The worker pool of LiTSNet's layers: a layer call splits its work into contiguous parts and
// runs them on `workers` Swift threads (DispatchQueue.concurrentPerform), each calling a
// single-threaded OpenBLAS, so the cores are never oversubscribed (the tiles' GEMMs are too small
// for OpenBLAS to split well). The number of workers comes from the caller's NetContext; the
// split depends only on the item count and that number, so a run is reproducible.

enum NetThreads {
    /// Splits `0..<count` into at most `workers` contiguous chunks and runs `body(worker, chunk)`
    /// on each in parallel. The split depends only on `count` and `workers`, so a run is
    /// reproducible: each worker sums its own partial gradients, then they are added in order.
    static func parallelChunks(_ count: Int, workers: Int, _ body: (_ worker: Int, _ chunk: Range<Int>) -> Void) {
        // One OpenBLAS thread per worker (set again if something else, such as a peak probe,
        // changed it).
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
        split(count, into: min(max(1, workers), count), body)
    }

    /// Element-wise work per worker below which starting threads costs more than it saves.
    static let minimumElementsPerWorker = 1 << 15

    /// Runs `body` on contiguous parts of `0..<count` in parallel, one per worker, when there are
    /// at least `minimumPerWorker` items for each (the element-wise layers).
    static func parallelRanges(_ count: Int, workers: Int, minimumPerWorker: Int = minimumElementsPerWorker,
                               _ body: (Range<Int>) -> Void) {
        split(count, into: min(max(1, workers), max(1, count / max(1, minimumPerWorker)))) { _, range in body(range) }
    }

    /// `0..<count` in `n` contiguous parts, `body(part, range)` on each, in parallel when n > 1.
    private static func split(_ count: Int, into n: Int, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
        if n <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // concurrentPerform wants a Sendable closure; the callers' bodies capture pointers and
        // layers, and are safe to share because every part writes only its own range (the
        // contract of these functions), so the body is handed over unchecked.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: n) { w in
                shared.value(w, (count * w / n)..<(count * (w + 1) / n))
            }
        }
    }
}

/// A value that worker closures may share although its type is not Sendable: the caller
/// guarantees that the workers' uses of it do not race.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A raw pointer that worker closures may share; each worker writes a disjoint part.
struct SharedPointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}
