import Foundation

/// The processes of a data-parallel job (an MPI world; see LiTSCluster). Every call is
/// collective: all processes make the same calls in the same order, with buffers of the same
/// length, and each returns once all have contributed. LiTSNet uses it for synchronised batch
/// norm; the trainer for gradients, loss sums, validation and stop requests; the dataset
/// commands to share out cases and gather their results on rank 0. (Pure Swift: the MPI
/// implementation lives in LiTSCluster.)
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0 ..< size; rank 0 writes the run's files.
    var rank: Int { get }
    var size: Int { get }
    /// Element-wise sum over all processes, in place.
    func sum(_ values: UnsafeMutableBufferPointer<Float>)
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Rank `root`'s values, in place on every other rank.
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Every rank's bytes in rank order on rank 0; nil on the others.
    func gather(_ data: Data) -> [Data]?
}

extension ProcessGroup {
    public func sum(_ values: inout [Double]) { values.withUnsafeMutableBufferPointer { sum($0) } }
    public func sum(_ values: inout [Float]) { values.withUnsafeMutableBufferPointer { sum($0) } }

    /// True on every process when it is true on any (a stop request seen by one rank).
    public func any(_ flag: Bool) -> Bool {
        var v: [Double] = [flag ? 1 : 0]
        sum(&v)
        return v[0] > 0
    }
}

/// Sharing a dataset's cases: rank r of N takes cases r, r + N, ... and rank 0 gathers.
extension ProcessGroup {
    public func share<T>(of items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % size == rank }.map(\.element)
    }

    /// `body` on rank 0 while the others wait; when it throws there it throws on every rank
    /// (rank 0 with its error, the others with a line that points to it).
    public func onRankZero(_ body: () throws -> Void) throws {
        var failure: Error?
        if rank == 0 { do { try body() } catch { failure = error } }
        if any(failure != nil) {
            throw failure ?? LiTSError(.invalidArgument, path: nil, "rank 0 stopped the job (see its error)")
        }
    }

    /// The case runs of every rank (each over `share(of: cases)`) as one run over `cases`, in
    /// case order, on rank 0; nil on the others.
    public func gather<R: Codable>(_ run: CaseRunResult<R>, of cases: [Case]) throws -> CaseRunResult<R>? {
        let part = GatheredRun(results: Dictionary(run.results.map { ($0.0.id, $0.1) }, uniquingKeysWith: { a, _ in a }),
                        failures: run.failedByID)
        // Metrics may be NaN or infinite.
        let encoder = JSONFile.nonFiniteEncoder(), decoder = JSONFile.nonFiniteDecoder()
        guard let parts = gather(try encoder.encode(part)) else { return nil }
        var results: [String: R] = [:], failures: [String: String] = [:]
        for data in parts {
            let p = try decoder.decode(GatheredRun<R>.self, from: data)
            results.merge(p.results) { a, _ in a }
            failures.merge(p.failures) { a, _ in a }
        }
        return CaseRunResult(results: cases.compactMap { c in results[c.id].map { (c, $0) } },
                             failures: cases.compactMap { c in failures[c.id].map { (c, $0) } })
    }
}

/// This process alone: every collective call returns at once, unchanged.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) {}
    public func gather(_ data: Data) -> [Data]? { [data] }
}

/// One rank's case results as they travel to rank 0, by case id.
struct GatheredRun<R: Codable>: Codable {
    var results: [String: R]
    var failures: [String: String]
}
