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
    ///
    /// libnifti parses the header and affine; the voxels are read with libnifti's own znz layer
    /// rather than `nifti_image_load`, because that silently replaces NaN and infinite floats
    /// with 0, which would hide broken input from our checks.
    public static func readFloat(path: String) throws -> (Volume<Float>, NIfTISource) {
        let source = try readSource(path: path)
        let header = source.header
        let count = header.shape.reduce(1, *)
        let raw = try readVoxelBytes(path: path, header: header)
        defer { raw.deallocate() }
        let voxels = convertToFloat(raw, datatype: header.datatype, count: count, scaling: header.scaling)
        return (Volume(grid: source.grid, voxels: voxels), source)
    }

    /// The raw voxel bytes, in host byte order. The caller deallocates them.
    static func readVoxelBytes(path: String, header: NIfTIHeader) throws -> UnsafeMutableRawPointer {
        let bytes = header.byteCount
        guard let fp = znzopen(path, "rb", path.hasSuffix(".gz") ? 1 : 0) else {
            throw LiTSError(.unreadable, path: path, "cannot open file")
        }
        var f: znzFile? = fp
        defer { Xznzclose(&f) }
        let offset = header.voxOffset > 0 ? header.voxOffset : (header.version == 1 ? 352 : 544)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
        var got = 0
        // znzseek returns fseek's 0 for plain files but gzseek's position for gzip: ask znztell.
        _ = znzseek(fp, off_t(offset), SEEK_SET)
        if znztell(fp) == off_t(offset) {
            got = znzread(buffer, 1, bytes, fp)
        }
        guard got == bytes else {
            buffer.deallocate()
            throw LiTSError(.corrupt, path: path, path.hasSuffix(".gz")
                ? "truncated or corrupt gzip stream: \(got) of \(bytes) bytes of voxel data"
                : "file is truncated: \(got) of \(bytes) bytes of voxel data")
        }
        if header.bigEndian {
            swapBytes(buffer, count: bytes / NIfTIHeader.bytesPerVoxel(header.datatype), width: NIfTIHeader.bytesPerVoxel(header.datatype))
        }
        return buffer
    }

    static func swapBytes(_ p: UnsafeMutableRawPointer, count: Int, width: Int) {
        switch width {
        case 2: let q = p.assumingMemoryBound(to: UInt16.self); for i in 0..<count { q[i] = q[i].byteSwapped }
        case 4: let q = p.assumingMemoryBound(to: UInt32.self); for i in 0..<count { q[i] = q[i].byteSwapped }
        case 8: let q = p.assumingMemoryBound(to: UInt64.self); for i in 0..<count { q[i] = q[i].byteSwapped }
        default: break
        }
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
