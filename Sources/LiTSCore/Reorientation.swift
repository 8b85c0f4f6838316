import Foundation

/// How to turn a volume into the closest canonical (RAS+) orientation and back, as nibabel's
/// `as_closest_canonical`: axes are permuted and flipped, never resampled, so the mapping is exact.
/// After it, +i points right, +j anterior and +k superior ("k runs inferior to superior").
public struct Reorientation: Equatable, Sendable {
    /// Shape of the source (file) array.
    public let sourceShape: [Int]
    /// For each source axis: the canonical axis it becomes and whether it is reversed.
    public let axisMap: [Int]
    public let flips: [Bool]

    public init(sourceGrid: Grid) {
        let o = sourceGrid.affine.orientation
        sourceShape = sourceGrid.shape
        axisMap = o.map { $0.axis }
        flips = o.map { $0.flip }
    }

    public var isIdentity: Bool { axisMap == [0, 1, 2] && flips == [false, false, false] }

    public var canonicalShape: [Int] {
        var s = [0, 0, 0]
        for a in 0..<3 { s[axisMap[a]] = sourceShape[a] }
        return s
    }

    /// Voxel-index transform canonical -> source as a 4x4 affine (source = M * canonical).
    var canonicalToSourceIndex: Affine {
        var t = Affine(rowMajor: [Double](repeating: 0, count: 16))
        t[3, 3] = 1
        for a in 0..<3 {
            t[a, axisMap[a]] = flips[a] ? -1 : 1
            t[a, 3] = flips[a] ? Double(sourceShape[a] - 1) : 0
        }
        return t
    }

    /// Canonical grid for a source grid: permuted shape and spacing, affine = source * M.
    public func canonicalGrid(of source: Grid) -> Grid {
        var spacing = [0.0, 0.0, 0.0]
        for a in 0..<3 { spacing[axisMap[a]] = source.spacing[a] }
        return Grid(shape: canonicalShape, spacing: spacing, affine: source.affine * canonicalToSourceIndex)
    }

    /// Source offset of every step along each canonical axis, and the offset of canonical (0,0,0).
    private func strides() -> (steps: [Int], start: Int) {
        let srcStride = [1, sourceShape[0], sourceShape[0] * sourceShape[1]]
        var steps = [0, 0, 0]
        var start = 0
        for a in 0..<3 {
            steps[axisMap[a]] = flips[a] ? -srcStride[a] : srcStride[a]
            if flips[a] { start += (sourceShape[a] - 1) * srcStride[a] }
        }
        return (steps, start)
    }

    /// Source volume -> canonical volume.
    public func toCanonical<T>(_ v: Volume<T>) -> Volume<T> {
        let grid = canonicalGrid(of: v.grid)
        if isIdentity { return Volume(grid: grid, voxels: v.voxels) }
        let (steps, start) = strides()
        let cs = canonicalShape
        let out = v.voxels.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: v.count) { dst, n in
                let base = dst.baseAddress!
                HugePages.advise(UnsafeMutableRawPointer(base), bytes: v.count * MemoryLayout<T>.stride)
                // Parallel over canonical slices: memory-bound, two cores nearly halve it.
                Parallel.perform(iterations: cs[2]) { k in
                    var c = k * cs[0] * cs[1]
                    for j in 0..<cs[1] {
                        var s = start + k * steps[2] + j * steps[1]
                        for _ in 0..<cs[0] {
                            (base + c).initialize(to: src[s])
                            c += 1
                            s += steps[0]
                        }
                    }
                }
                n = v.count
            }
        }
        return Volume(grid: grid, voxels: out)
    }

    /// The generic conversion specialised here for CT and labels: called from another module,
    /// the generic version would copy every voxel through unspecialised value witnesses.
    public func toCanonical(_ v: Volume<Float>) -> Volume<Float> { toCanonicalGeneric(v) }
    public func toCanonical(_ v: LabelMap) -> LabelMap { toCanonicalGeneric(v) }

    @inline(__always) func toCanonicalGeneric<T>(_ v: Volume<T>) -> Volume<T> { toCanonical(v as Volume<T>) }

    /// Canonical volume -> the source's own array order, on the given source grid.
    public func toSource<T>(_ v: Volume<T>, sourceGrid: Grid) -> Volume<T> {
        precondition(v.shape == canonicalShape, "volume is not on this reorientation's canonical grid")
        if isIdentity { return Volume(grid: sourceGrid, voxels: v.voxels) }
        let (steps, start) = strides()
        let cs = canonicalShape
        return v.voxels.withUnsafeBufferPointer { src -> Volume<T> in
            var out = [T](repeating: src[0], count: v.count)
            out.withUnsafeMutableBufferPointer { dst in
                var c = 0
                for k in 0..<cs[2] {
                    for j in 0..<cs[1] {
                        var s = start + k * steps[2] + j * steps[1]
                        for _ in 0..<cs[0] {
                            dst[s] = src[c]
                            c += 1
                            s += steps[0]
                        }
                    }
                }
            }
            return Volume(grid: sourceGrid, voxels: out)
        }
    }
}
