import Foundation

/// The processes of a data-parallel job (an MPI world; see LiTSCluster). Every call is
/// collective: all processes make the same calls in the same order, with buffers of the same
/// length, and each returns once all have contributed. LiTSNet uses it for synchronised batch
/// norm; the trainer for gradients, loss sums, validation and stop requests.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0 ..< size; rank 0 writes the run's files.
    var rank: Int { get }
    var size: Int { get }
    /// Element-wise sum over all processes, in place.
    func sum(_ values: UnsafeMutableBufferPointer<Float>)
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Rank `root`'s values, in place on every other rank.
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int)
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
