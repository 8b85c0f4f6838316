import Foundation
import LiTSCore
import LiTSImaging

/// What a run's model is: the baseline's joint liver-and-lesion model, or one stage of the
/// two-stage cascade (a liver model, then a lesion model on the liver's bounding box).
public enum CascadeStage: String, Codable, CaseIterable, Sendable {
    /// One model, two outputs (liver, lesion), one input channel: the baseline.
    case joint
    /// One output (liver), one input channel.
    case liver
    /// Two inputs (CT, liver mask) on the liver's bounding box with a margin; two outputs, of
    /// which prediction uses the lesion.
    case lesion
}

/// The liver run a lesion stage was trained with, pinned by its checkpoint's checksum so that
/// `lits predict` refuses a liver run that has since changed.
public struct LiverRunReference: Codable, Equatable, Sendable {
    /// The liver run folder (absolute).
    public var path: String
    public var checkpoint: CheckpointChoice
    /// SHA-256 of the checkpoint's .safetensors file when the lesion stage started.
    public var sha256: String

    public init(path: String, checkpoint: CheckpointChoice, sha256: String) {
        self.path = path
        self.checkpoint = checkpoint
        self.sha256 = sha256
    }
}

/// The box the lesion stage sees: the liver's bounding box grown by a margin in mm, clamped to
/// the volume. `lo` and `hi` are inclusive voxel indices (i, j, k).
public struct LiverBox: Equatable, Sendable {
    public var lo: [Int]
    public var hi: [Int]

    public var shape: [Int] { (0..<3).map { hi[$0] - lo[$0] + 1 } }

    /// The box around every voxel where `mask` is true, or nil when none is.
    public init?(mask: [Bool], grid: Grid, marginMM: Double) {
        let (nx, ny) = (grid.shape[0], grid.shape[1])
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        for n in mask.indices where mask[n] {
            let p = [n % nx, (n / nx) % ny, n / (nx * ny)]
            for a in 0..<3 { lo[a] = min(lo[a], p[a]); hi[a] = max(hi[a], p[a]) }
        }
        guard hi[0] >= 0 else { return nil }
        for a in 0..<3 {
            let m = Int((marginMM / grid.spacing[a]).rounded(.up))
            lo[a] = max(0, lo[a] - m)
            hi[a] = min(grid.shape[a] - 1, hi[a] + m)
        }
        self.lo = lo
        self.hi = hi
    }

    /// The part of `v` inside the box, on a grid whose affine keeps every voxel's world position.
    public func crop<T: Sendable>(_ v: Volume<T>) -> Volume<T> { VoxelBox(lo: lo, hi: hi).crop(v) }

    /// `v` (on the box) written into a volume on `grid`, `fill` outside the box.
    public func paste<T: Sendable>(_ v: Volume<T>, into grid: Grid, fill: T) -> Volume<T> {
        VoxelBox(lo: lo, hi: hi).paste(v, into: grid, fill: fill)
    }

    /// The lesion stage's inputs on the box: the CT and the liver mask as 0/1.
    public func inputs(ct: Volume<Float>, liverMask: [Bool]) -> [Volume<Float>] {
        let mask = Volume(grid: ct.grid, voxels: liverMask.map { $0 ? Float(1) : 0 })
        return [crop(ct), crop(mask)]
    }
}
