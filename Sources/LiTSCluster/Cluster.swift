import CMPI
import Foundation
import LiTSCore

/// The processes of this job. Launched by `mpirun` or `srun --mpi=pmix` (Open MPI's or PMIx's
/// environment variables are set), `Cluster.world` initialises MPI once and is an MPI world of
/// `size` ranks; otherwise it is one process and MPI is never touched, so a plain `lits` run
/// behaves as it always did. MPI is finalised when the process exits.
public final class Cluster: ProcessGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Whether MPI was initialised (an mpirun/srun launch, even with one rank).
    public let usesMPI: Bool
    /// Seconds spent in collective calls, for the step-time report (one thread calls MPI).
    public private(set) var communicationSeconds = 0.0

    /// The job's processes, set up on first use.
    public static let world = Cluster(environment: ProcessInfo.processInfo.environment)

    /// Variables Open MPI's launcher (OMPI_*), PMIx (srun --mpi=pmix, prterun) or MPICH-style PMI
    /// set in every rank's environment.
    static let launchVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    public static func isMPILaunch(_ environment: [String: String]) -> Bool {
        launchVariables.contains { environment[$0] != nil }
    }

    init(environment: [String: String]) {
        guard Self.isMPILaunch(environment) else {
            rank = 0
            size = 1
            usesMPI = false
            return
        }
        let status = lits_mpi_init()
        if status != 0 {
            FileHandle.standardError.write(Data("lits: error: MPI_Init failed (code \(status))\n".utf8))
            exit(1)
        }
        rank = Int(lits_mpi_rank())
        size = Int(lits_mpi_size())
        usesMPI = true
        atexit { if lits_mpi_initialized() != 0 && lits_mpi_finalized() == 0 { _ = lits_mpi_finalize() } }
    }

    /// This job as a process group when it has more than one rank, else nil (one process runs
    /// exactly as without MPI).
    public var group: ProcessGroup? { size > 1 ? self : nil }

    /// Ends every rank of the job with `code` (an error on one rank that the others would wait
    /// for forever in their next collective call).
    public func abort(code: Int32) -> Never {
        if usesMPI && size > 1 { _ = lits_mpi_abort(code) }
        exit(code)
    }

    private func timed(_ body: () -> Int32) {
        guard usesMPI else { return }
        let t0 = lits_mpi_wtime()
        let status = body()
        communicationSeconds += lits_mpi_wtime() - t0
        if status != 0 {
            FileHandle.standardError.write(Data("lits: error: MPI call failed on rank \(rank) (code \(status))\n".utf8))
            abort(code: 1)
        }
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, !values.isEmpty else { return }
        timed { lits_mpi_allreduce_sum_float(values.baseAddress!, Int32(values.count)) }
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, !values.isEmpty else { return }
        timed { lits_mpi_allreduce_sum_double(values.baseAddress!, Int32(values.count)) }
    }

    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) {
        guard size > 1, !values.isEmpty else { return }
        timed { lits_mpi_bcast_float(values.baseAddress!, Int32(values.count), Int32(root)) }
    }

    /// Rank 0's bytes on every rank (its length first, then the bytes).
    public func broadcast(_ data: Data) -> Data {
        guard size > 1 else { return data }
        var length = [Double(rank == 0 ? data.count : 0)]  // only rank 0 contributes
        sum(&length)
        var bytes = rank == 0 ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length[0]))
        if !bytes.isEmpty { timed { bytes.withUnsafeMutableBytes { lits_mpi_bcast_bytes($0.baseAddress!, Int32($0.count), 0) } } }
        return Data(bytes)
    }

    public func gather(_ data: Data) -> [Data]? {
        guard size > 1 else { return [data] }
        var counts = [Int32](repeating: 0, count: size)
        timed { counts.withUnsafeMutableBufferPointer { lits_mpi_gather_int(Int32(data.count), $0.baseAddress!) } }
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<size { offsets[r] = offsets[r - 1] + counts[r - 1] }
        var all = [UInt8](repeating: 0, count: rank == 0 ? Int(offsets[size - 1] + counts[size - 1]) + 1 : 1)
        let mine = [UInt8](data) + [0]  // never empty, so the pointers are valid
        timed {
            mine.withUnsafeBytes { m in all.withUnsafeMutableBytes { a in
                lits_mpi_gatherv_bytes(m.baseAddress!, Int32(data.count), a.baseAddress!, counts, offsets)
            } }
        }
        guard rank == 0 else { return nil }
        return (0..<size).map { Data(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    /// Waits until every rank has arrived.
    public func barrier() {
        guard size > 1 else { return }
        timed { lits_mpi_barrier() }
    }
}
