import Foundation
import LiTSCore

/// Reading a case for QA: what `CaseLoader.load` does, plus a hash of the file's voxel array (the
/// same data under any header) and, when asked, a label map whose affine differs from its image's
/// kept on the image's voxel grid (the mismatch becomes a finding instead of a failure).
public enum QALoad {
    public struct Loaded: Sendable {
        public var loaded: LoadedCase
        /// Hash of the CT voxel values in the file's own order, with the file's shape.
        public var voxelHash: String
        /// Why the segmentation's grid is not the image's (same shape, another affine), or nil.
        public var gridProblem: String?
    }

    public static func load(_ c: Case, tolerateGridMismatch: Bool) throws -> Loaded {
        let (rawCT, source) = try NIfTIReader.readFloat(path: c.volumePath)
        if source.header.isFloatingPoint || source.header.scaling != nil {
            try CaseLoader.checkFiniteCT(rawCT, path: c.volumePath)
        }
        let hash = voxelHash(rawCT)
        let reorientation = Reorientation(sourceGrid: rawCT.grid)
        let ct = reorientation.toCanonical(rawCT)
        var labels: LabelMap?
        var problem: String?
        if let segPath = c.segmentationPath {
            let segSource = try NIfTIReader.readSource(path: segPath)
            do {
                try CaseLoader.checkSameGrid(segSource.grid, volume: source.grid, segPath: segPath, volumePath: c.volumePath)
            } catch let e as LiTSError where tolerateGridMismatch && segSource.grid.shape == source.grid.shape {
                problem = e.reason
            }
            var raw = try CaseLoader.readLabels(c, source: segSource)
            raw.grid = source.grid  // the voxel arrays are paired index by index, as training reads them
            labels = reorientation.toCanonical(raw)
        }
        let loaded = LoadedCase(info: c, ct: ct, labels: labels, source: source, reorientation: reorientation)
        return Loaded(loaded: loaded, voxelHash: hash, gridProblem: problem)
    }

    /// A 64-bit multiply-xor hash of the Float32 bit patterns and the shape, as 16 hex digits.
    public static func voxelHash(_ v: Volume<Float>) -> String {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for s in v.shape { h = (h ^ UInt64(s)) &* 0x100_0000_01B3 }
        let parts = 2
        var partial = [UInt64](repeating: 0, count: parts)
        v.voxels.withUnsafeBufferPointer { p in
            let chunk = (p.count + parts - 1) / parts
            partial.withUnsafeMutableBufferPointer { out in
                Parallel.perform(iterations: parts) { part in
                    var x: UInt64 = 0xCBF2_9CE4_8422_2325 &+ UInt64(part)
                    for n in (part * chunk)..<min(p.count, (part + 1) * chunk) {
                        x = (x ^ UInt64(p[n].bitPattern)) &* 0x9E37_79B9_7F4A_7C15
                        x ^= x >> 29
                    }
                    out[part] = x
                }
            }
        }
        for x in partial { h = (h ^ x) &* 0x100_0000_01B3; h ^= h >> 31 }
        return String(format: "%016llx", h)
    }
}
