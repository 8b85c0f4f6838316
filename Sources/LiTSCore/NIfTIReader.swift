import CNIfTI
import Foundation

/// What a NIfTI file says about itself, kept so that outputs can be written back on its grid.
public struct NIfTISource: Sendable {
    public var path: String
    public var header: NIfTIHeader
    /// The grid as stored in the file (before any reorientation).
    public var grid: Grid
    public var sformCode: Int
    public var qformCode: Int
    public var datatypeName: String { NIfTIHeader.datatypeName(header.datatype) ?? "code \(header.datatype)" }
}

/// NIfTI-1 and NIfTI-2 reading through libnifti (`.nii` and `.nii.gz`).
public enum NIfTIReader {
    /// libnifti prints its own diagnostics at debug level 1; we report errors ourselves.
    static let quietLibrary: Void = { nifti_set_debug_level(0) }()

    /// Reads a volume as Float32 in the file's own voxel order, with `scl_slope`/`scl_inter`
    /// applied and the affine chosen as nibabel does (sform if its code > 0, else qform, else pixdim).
    public static func readFloat(path: String) throws -> (Volume<Float>, NIfTISource) {
        _ = quietLibrary
        let header = try NIfTIHeader.read(path: path)
        guard let nim = nifti_image_read(path, 1) else {
            throw LiTSError(.corrupt, path: path, path.hasSuffix(".gz")
                ? "cannot read the voxel data (truncated or corrupt gzip stream)"
                : "cannot read the voxel data (truncated or corrupt file)")
        }
        defer { nifti_image_free(nim) }
        let image = nim.pointee
        guard let data = image.data, Int(image.nvox) == header.shape.reduce(1, *) else {
            throw LiTSError(.corrupt, path: path, "libnifti returned no voxel data")
        }
        let grid = Grid(shape: header.shape,
                        spacing: (1...3).map { abs(header.pixdim[$0]) },
                        affine: bestAffine(image, header: header))
        let voxels = convertToFloat(data, datatype: Int(image.datatype), count: Int(image.nvox),
                                    scaling: header.scaling)
        let source = NIfTISource(path: path, header: header, grid: grid,
                                 sformCode: Int(image.sform_code), qformCode: Int(image.qform_code))
        return (Volume(grid: grid, voxels: voxels), source)
    }

    /// Only the header and geometry, without loading voxels.
    public static func readSource(path: String) throws -> NIfTISource {
        _ = quietLibrary
        let header = try NIfTIHeader.read(path: path)
        guard let nim = nifti_image_read(path, 0) else {
            throw LiTSError(.invalidHeader, path: path, "libnifti cannot read the header")
        }
        defer { nifti_image_free(nim) }
        let grid = Grid(shape: header.shape, spacing: (1...3).map { abs(header.pixdim[$0]) },
                        affine: bestAffine(nim.pointee, header: header))
        return NIfTISource(path: path, header: header, grid: grid,
                           sformCode: Int(nim.pointee.sform_code), qformCode: Int(nim.pointee.qform_code))
    }

    static func bestAffine(_ image: nifti_image, header: NIfTIHeader) -> Affine {
        if image.sform_code > 0 { return affine(from: image.sto_xyz) }
        if image.qform_code > 0 { return affine(from: image.qto_xyz) }
        // nibabel's base affine: x flipped, origin at the array centre.
        let z = (1...3).map { abs(header.pixdim[$0]) }
        let s = header.shape
        return Affine(rowMajor: [-z[0], 0, 0, Double(s[0] - 1) / 2 * z[0],
                                 0, z[1], 0, -Double(s[1] - 1) / 2 * z[1],
                                 0, 0, z[2], -Double(s[2] - 1) / 2 * z[2],
                                 0, 0, 0, 1])
    }

    static func affine(from m: nifti_dmat44) -> Affine {
        var copy = m
        return withUnsafeBytes(of: &copy.m) { raw in
            Affine(rowMajor: Array(raw.bindMemory(to: Double.self).prefix(16)))
        }
    }

    /// Converts raw voxels to Float32 in parallel chunks (memory-bound, two cores help).
    static func convertToFloat(_ data: UnsafeMutableRawPointer, datatype: Int, count: Int,
                               scaling: (slope: Double, inter: Double)?) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let chunks = max(1, min(16, count / (1 << 20)))
            let per = (count + chunks - 1) / chunks
            let dst = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * per, hi = min(count, lo + per)
                guard lo < hi else { return }
                func copy<S>(_ type: S.Type, _ f: (S) -> Float) {
                    let src = data.assumingMemoryBound(to: S.self)
                    for i in lo..<hi { dst[i] = f(src[i]) }
                }
                switch datatype {
                case 2: copy(UInt8.self) { Float($0) }
                case 4: copy(Int16.self) { Float($0) }
                case 8: copy(Int32.self) { Float($0) }
                case 16: copy(Float.self) { $0 }
                case 64: copy(Double.self) { Float($0) }
                case 256: copy(Int8.self) { Float($0) }
                case 512: copy(UInt16.self) { Float($0) }
                case 768: copy(UInt32.self) { Float($0) }
                case 1024: copy(Int64.self) { Float($0) }
                default: copy(UInt64.self) { Float($0) }
                }
                if let (slope, inter) = scaling {
                    // nibabel scales in float64 and then casts: do the same for identical values.
                    switch datatype {
                    case 64:
                        let src = data.assumingMemoryBound(to: Double.self)
                        for i in lo..<hi { dst[i] = Float(src[i] * slope + inter) }
                    default:
                        for i in lo..<hi { dst[i] = Float(Double(dst[i]) * slope + inter) }
                    }
                }
            }
            initialized = count
        }
    }
}
