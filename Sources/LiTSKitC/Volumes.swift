import Foundation
import LiTSCore

/// The geometry `litskit_load_into` returns with the voxels.
struct LoadedGeometry: Encodable {
    var shape: [Int]
    var spacing: [Double]
    var affine: [Double]
    var axisCodes: String
    var datatype: String
    var warnings: [String]
}

/// The shape of the array `litskit_load_into` will fill (the header only): the file's own voxel
/// order, or the closest canonical (RAS+) order when `canonical` is 1.
@_cdecl("litskit_load_shape")
public func litskit_load_shape(_ file: UnsafePointer<CChar>?, _ canonical: Int32, _ shapeOut: UnsafeMutablePointer<Int64>?,
                               _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let source = try NIfTIReader.readSource(path: try path(file))
        let shape = canonical != 0 ? Reorientation(sourceGrid: source.grid).canonicalShape : source.grid.shape
        guard let shapeOut else { throw LiTSError(.invalidArgument, path: nil, "no shape buffer given") }
        for a in 0..<3 { shapeOut[a] = Int64(shape[a]) }
    }
}

/// Reads the voxels as Float32 (scl_slope/scl_inter applied, as nibabel's `get_fdata`) into
/// `out` (`count` floats, NIfTI order), and the geometry as JSON into `json`.
@_cdecl("litskit_load_into")
public func litskit_load_into(_ file: UnsafePointer<CChar>?, _ canonical: Int32, _ out: UnsafeMutablePointer<Float>?, _ count: Int64,
                              _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                              _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let p = try path(file)
        var (volume, source) = try NIfTIReader.readFloat(path: p)
        if canonical != 0 { volume = Reorientation(sourceGrid: volume.grid).toCanonical(volume) }
        guard let out else { throw LiTSError(.invalidArgument, path: nil, "no voxel buffer given") }
        guard Int(count) == volume.count else {
            throw LiTSError(.mismatch, path: p, "holds \(volume.count) voxels, the buffer \(count) (the file changed while it was read?)")
        }
        volume.voxels.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
        let g = volume.grid
        try returnJSON(LoadedGeometry(shape: g.shape, spacing: g.spacing, affine: g.affine.m, axisCodes: g.axisCodes,
                                      datatype: source.datatypeName, warnings: source.warnings), json)
    }
}

/// Writes `data` (`dtype`: 2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, NIfTI's codes) of
/// `shape` on `affine` to `file` (.nii or .nii.gz), atomically; the spacing is the affine's column norms.
@_cdecl("litskit_save")
public func litskit_save(_ file: UnsafePointer<CChar>?, _ dtype: Int32, _ data: UnsafeRawPointer?, _ shapeIn: UnsafePointer<Int64>?,
                         _ affineIn: UnsafePointer<Double>?,
                         _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let p = try path(file)
        let shape = try checkedShape(shapeIn)
        let affine = Affine(rowMajor: try array(affineIn, 16, "affine"))
        guard affine.m.allSatisfy({ $0.isFinite }) else { throw LiTSError(.invalidArgument, path: p, "the affine is not finite") }
        let grid = Grid(shape: shape, spacing: affine.columnNorms, affine: affine)
        guard let data else { throw LiTSError(.invalidArgument, path: p, "no voxels given") }
        func write<T: NIfTIScalar>(_: T.Type) throws {
            let voxels = Array(UnsafeBufferPointer(start: data.assumingMemoryBound(to: T.self), count: grid.count))
            try NIfTIWriter.write(Volume(grid: grid, voxels: voxels), to: p)
        }
        switch dtype {
        case 2: try write(UInt8.self)
        case 4: try write(Int16.self)
        case 8: try write(Int32.self)
        case 16: try write(Float.self)
        case 64: try write(Double.self)
        default: throw LiTSError(.unsupported, path: p, "NIfTI datatype code \(dtype) cannot be written (uint8, int16, int32, float32, float64 can)")
        }
    }
}
