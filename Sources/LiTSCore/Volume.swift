import Foundation

/// A 3D array on a `Grid`, in NIfTI voxel order (i fastest).
public struct Volume<T>: @unchecked Sendable {
    public var grid: Grid
    public var voxels: [T]

    public init(grid: Grid, voxels: [T]) {
        precondition(voxels.count == grid.count, "voxel count \(voxels.count) does not match grid \(grid.shape)")
        self.grid = grid
        self.voxels = voxels
    }

    public init(grid: Grid, repeating value: T) {
        self.grid = grid
        self.voxels = [T](repeating: value, count: grid.count)
    }

    public var shape: [Int] { grid.shape }
    public var count: Int { voxels.count }

    public subscript(i: Int, j: Int, k: Int) -> T {
        get { voxels[grid.index(i, j, k)] }
        set { voxels[grid.index(i, j, k)] = newValue }
    }

    /// The same grid with new values computed voxel by voxel. Inlinable so that callers in other
    /// modules get a specialised loop (unspecialised generics box every voxel: 20x slower).
    @inlinable
    public func map<U>(_ transform: (T) throws -> U) rethrows -> Volume<U> {
        Volume<U>(grid: grid, voxels: try voxels.map(transform))
    }

    /// One axial slice (fixed k) as a row-major nx-by-ny array (i fastest).
    public func axialSlice(_ k: Int) -> [T] {
        let n = shape[0] * shape[1]
        return Array(voxels[(k * n)..<((k + 1) * n)])
    }
}

/// A segmentation: 0 background, 1 liver, 2 tumor.
public typealias LabelMap = Volume<UInt8>

public enum Label {
    public static let background: UInt8 = 0
    public static let liver: UInt8 = 1
    public static let tumor: UInt8 = 2
}

extension Volume where T == UInt8 {
    /// Voxel count of each label value 0...255.
    public func labelCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: 256)
        voxels.withUnsafeBufferPointer { for v in $0 { counts[Int(v)] += 1 } }
        return counts
    }
}

extension Volume where T == Float {
    /// Smallest and largest value (nil for an empty volume).
    public func minMax() -> (min: Float, max: Float)? {
        guard var lo = voxels.first else { return nil }
        var hi = lo
        voxels.withUnsafeBufferPointer { p in
            for v in p {
                lo = v < lo ? v : lo
                hi = v > hi ? v : hi
            }
        }
        return (lo, hi)
    }
}
