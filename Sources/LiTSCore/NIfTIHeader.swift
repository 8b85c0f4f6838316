import CNIfTI
import Foundation

/// The header facts we need, read and checked by us before libnifti touches the data, so that
/// bad files get a precise message instead of a NULL from the C library.
public struct NIfTIHeader: Sendable {
    public var version: Int            // 1 or 2
    public var dims: [Int]             // dim[0...7]
    public var datatype: Int           // NIfTI DT_* code
    public var bitpix: Int
    public var pixdim: [Double]        // pixdim[0...7]
    /// The largest voxel size read, in mm (1 km).
    public static let maxSpacing = 1_000_000.0
    public var voxOffset: Int
    public var sclSlope: Double
    public var sclInter: Double
    public var bigEndian: Bool
    /// qform_code and sform_code as stored.
    public var qformCode = 0
    public var sformCode = 0
    /// quatern_b, quatern_c, quatern_d, qoffset_x, qoffset_y, qoffset_z as stored (libnifti
    /// replaces non-finite ones with 0, which would invent an orientation).
    public var quatern: [Double] = [0, 0, 0, 0, 0, 0]
    /// srow_x, srow_y, srow_z as stored (12 values, row-major).
    public var srow: [Double] = []

    /// (nx, ny, nz); axes beyond dim[0] count as 1 whatever their dim says (as nibabel).
    public var shape: [Int] { (1...3).map { $0 <= dims[0] ? max(dims[$0], 1) : 1 } }

    /// Name of a supported datatype code, or nil.
    public static func datatypeName(_ code: Int) -> String? {
        switch code {
        case 2: return "uint8"
        case 4: return "int16"
        case 8: return "int32"
        case 16: return "float32"
        case 64: return "float64"
        case 256: return "int8"
        case 512: return "uint16"
        case 768: return "uint32"
        case 1024: return "int64"
        case 1280: return "uint64"
        default: return nil
        }
    }

    /// Slope and intercept as nibabel applies them: a zero or non-finite slope means "no scaling"
    /// (and the intercept is then ignored too); a valid slope with a non-finite intercept is refused
    /// by `validate`, as nibabel's `get_slope_inter` refuses it.
    public var scaling: (slope: Double, inter: Double)? {
        guard sclSlope.isFinite, sclSlope != 0 else { return nil }
        let inter = sclInter.isFinite ? sclInter : 0
        if sclSlope == 1 && inter == 0 { return nil }
        return (sclSlope, inter)
    }

    /// Voxel size in mm along i, j, k: |pixdim|, with 1 for an axis beyond dim[0] whose pixdim is unusable.
    public var spacing: [Double] {
        (1...3).map { a in
            let s = abs(pixdim[a])
            return a <= dims[0] || (s.isFinite && s > 0) ? s : 1
        }
    }

    /// Largest data offset we accept (far beyond any real file; keeps offset arithmetic exact).
    static let maxVoxOffset = 1 << 48

    /// Where the voxels start: vox_offset, or just after the header (and extension flag) when it is 0.
    public var dataOffset: Int { voxOffset > 0 ? voxOffset : (version == 1 ? 352 : 544) }

    /// Reads and validates the first bytes of a `.nii` or `.nii.gz` file.
    public static func read(path: String) throws -> NIfTIHeader {
        try RegularFile.require(path)
        guard let fp = znzopen(path, "rb", path.hasSuffix(".gz") ? 1 : 0) else {
            throw LiTSError(.unreadable, path: path, "cannot open file")
        }
        var f: znzFile? = fp
        defer { Xznzclose(&f) }
        var bytes = [UInt8](repeating: 0, count: 540)
        let got = bytes.withUnsafeMutableBytes { znzread($0.baseAddress, 1, 540, fp) }
        guard got >= 348 else {
            throw LiTSError(.corrupt, path: path, got == 0
                ? "empty or not readable (corrupt gzip stream?)"
                : "truncated header (\(got) bytes, a NIfTI-1 header needs 348)")
        }
        return try parse(bytes: Array(bytes[0..<got]), path: path)
    }

    static func parse(bytes: [UInt8], path: String) throws -> NIfTIHeader {
        let le = Int32(littleEndian: bytes.load(Int32.self, at: 0))
        let be = Int32(bigEndian: bytes.load(Int32.self, at: 0))
        let bigEndian: Bool
        let version: Int
        switch (le, be) {
        case (348, _): (version, bigEndian) = (1, false)
        case (_, 348): (version, bigEndian) = (1, true)
        case (540, _): (version, bigEndian) = (2, false)
        case (_, 540): (version, bigEndian) = (2, true)
        default:
            throw LiTSError(.invalidHeader, path: path, "not a NIfTI file (header size field is \(le), expected 348 or 540)")
        }
        if version == 2 && bytes.count < 540 {
            throw LiTSError(.corrupt, path: path, "truncated NIfTI-2 header (\(bytes.count) bytes of 540)")
        }
        try checkMagic(Array(bytes[version == 1 ? 344..<348 : 4..<8]), version: version, path: path)
        func i16(_ o: Int) -> Int { let v = bytes.load(Int16.self, at: o); return Int(bigEndian ? Int16(bigEndian: v) : Int16(littleEndian: v)) }
        func i32(_ o: Int) -> Int { let v = bytes.load(Int32.self, at: o); return Int(bigEndian ? Int32(bigEndian: v) : Int32(littleEndian: v)) }
        func i64(_ o: Int) -> Int { let v = bytes.load(Int64.self, at: o); return Int(bigEndian ? Int64(bigEndian: v) : Int64(littleEndian: v)) }
        func f32(_ o: Int) -> Double { let v = bytes.load(UInt32.self, at: o); return Double(Float(bitPattern: bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v))) }
        func f64(_ o: Int) -> Double { let v = bytes.load(UInt64.self, at: o); return Double(bitPattern: bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)) }

        var h: NIfTIHeader
        if version == 1 {
            // vox_offset is a float in NIfTI-1: check it before it becomes an Int (NaN, inf and
            // 1e30 would trap). nibabel truncates it with int(), as we do.
            let rawOffset = f32(108)
            guard rawOffset.isFinite, rawOffset >= 0, rawOffset <= Double(maxVoxOffset) else {
                throw LiTSError(.invalidHeader, path: path, "data offset vox_offset=\(rawOffset) is not a valid byte offset")
            }
            h = NIfTIHeader(version: 1, dims: (0..<8).map { i16(40 + 2 * $0) }, datatype: i16(70), bitpix: i16(72),
                            pixdim: (0..<8).map { f32(76 + 4 * $0) }, voxOffset: Int(rawOffset),
                            sclSlope: f32(112), sclInter: f32(116), bigEndian: bigEndian,
                            qformCode: i16(252), sformCode: i16(254),
                            quatern: (0..<6).map { f32(256 + 4 * $0) }, srow: (0..<12).map { f32(280 + 4 * $0) })
        } else {
            h = NIfTIHeader(version: 2, dims: (0..<8).map { i64(16 + 8 * $0) }, datatype: i16(12), bitpix: i16(14),
                            pixdim: (0..<8).map { f64(104 + 8 * $0) }, voxOffset: i64(168),
                            sclSlope: f64(176), sclInter: f64(184), bigEndian: bigEndian,
                            qformCode: i32(344), sformCode: i32(348),
                            quatern: (0..<6).map { f64(352 + 8 * $0) }, srow: (0..<12).map { f64(400 + 8 * $0) })
        }
        try h.validate(path: path)
        return h
    }

    func validate(path: String) throws {
        let ndim = dims[0]
        guard (1...7).contains(ndim) else {
            throw LiTSError(.invalidHeader, path: path, "invalid number of dimensions dim[0]=\(ndim)")
        }
        for d in 1...ndim where dims[d] < 1 {
            throw LiTSError(.invalidHeader, path: path, "dimension \(d) is \(dims[d]); every dimension must be at least 1")
        }
        if ndim > 3, dims[4...ndim].contains(where: { $0 > 1 }) {
            throw LiTSError(.unsupported, path: path, "\(ndim)D image \(dims[1...ndim].map(String.init).joined(separator: "x")); a 3D volume is expected")
        }
        guard let name = NIfTIHeader.datatypeName(datatype) else {
            throw LiTSError(.unsupported, path: path, "unsupported NIfTI datatype code \(datatype)")
        }
        let bytesPerVoxel = NIfTIHeader.bytesPerVoxel(datatype)
        let shapeText = shape.map(String.init).joined(separator: "x")
        var total = bytesPerVoxel
        for d in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product < (1 << 40) else {
                throw LiTSError(.invalidHeader, path: path, "dimensions \(shapeText) of \(name) overflow (more than 1 TiB of voxels)")
            }
            total = product
        }
        for a in 1...3 where a <= ndim {
            let s = pixdim[a]
            guard s.isFinite, s > 0 else {
                throw LiTSError(.invalidHeader, path: path, "spacing pixdim[\(a)] is \(s); voxel sizes must be positive")
            }
            // A voxel over a kilometre is no scan, and the affine built from it overflows to inf.
            guard s <= NIfTIHeader.maxSpacing else {
                throw LiTSError(.invalidHeader, path: path, "spacing pixdim[\(a)] is \(s) mm; voxel sizes above \(Int(NIfTIHeader.maxSpacing)) mm are refused")
            }
        }
        guard voxOffset >= 0, voxOffset <= NIfTIHeader.maxVoxOffset else {
            throw LiTSError(.invalidHeader, path: path, "data offset vox_offset=\(voxOffset) is not a valid byte offset")
        }
        guard voxOffset >= (version == 1 ? 348 : 540) || voxOffset == 0 else {
            throw LiTSError(.invalidHeader, path: path, "data offset vox_offset=\(voxOffset) lies inside the header")
        }
        if sclSlope.isFinite, sclSlope != 0, !sclInter.isFinite {
            throw LiTSError(.invalidHeader, path: path, "scl_slope=\(sclSlope) with an invalid intercept scl_inter=\(sclInter)")
        }
        // An uncompressed file must hold all its voxels; a gzip stream can hold at most about
        // 1032 times its size (deflate's limit), so a gzip that cannot hold them is refused here
        // rather than after allocating the volume; the exact size is checked when reading.
        var info = stat()
        // stat() follows symbolic links (attributesOfItem would report the link's own size).
        if stat(path, &info) == 0 {
            let size = Int(info.st_size)
            let needed = max(voxOffset, version == 1 ? 352 : 544) + total
            if !path.hasSuffix(".gz"), size < needed {
                throw LiTSError(.corrupt, path: path, "file is truncated: \(size) bytes, the header's \(shapeText) \(name) voxels need \(needed)")
            }
            if path.hasSuffix(".gz"), needed / 1032 > size + 1024 {
                throw LiTSError(.corrupt, path: path, "truncated or corrupt gzip stream: \(size) bytes cannot inflate to the \(needed) bytes the header's \(shapeText) \(name) voxels need")
            }
        }
    }

    /// A single-file NIfTI must say so ("n+1\0" / "n+2\0"): libnifti would read anything else as
    /// Analyze 7.5, whose orientation ignores the sform (a silent left-right flip); nibabel refuses it.
    static func checkMagic(_ magic: [UInt8], version: Int, path: String) throws {
        let expected: [UInt8] = [0x6E, 0x2B, UInt8(ascii: version == 1 ? "1" : "2"), 0]  // "n+1\0", "n+2\0"
        guard magic != expected else { return }
        let shown = magic.map { (0x20..<0x7F).contains($0) && $0 != 0x5C ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
        let pair = version == 1 && magic == [0x6E, 0x69, 0x31, 0]  // "ni1\0"
        throw LiTSError(.invalidHeader, path: path, pair
            ? "magic \"ni1\\x00\" marks the header of a .hdr/.img pair, not a single .nii file"
            : "not a valid NIfTI-\(version) file: magic is \"\(shown)\", expected \"n+\(version)\\x00\"")
    }

    /// bitpix is redundant with the datatype; nibabel ignores it. A warning line when they disagree.
    public func bitpixWarning(path: String) -> String? {
        let bits = 8 * NIfTIHeader.bytesPerVoxel(datatype)
        guard bitpix != bits, let name = NIfTIHeader.datatypeName(datatype) else { return nil }
        return "\(path): bitpix \(bitpix) disagrees with datatype \(name) (\(bits) bits); the datatype is used"
    }

    /// Bytes after the voxels in an uncompressed file (0 for gzip, whose size is only known after inflating).
    func extraBytes(path: String) -> Int {
        var info = stat()
        guard !path.hasSuffix(".gz"), stat(path, &info) == 0 else { return 0 }
        return max(0, Int(info.st_size) - (dataOffset + byteCount))
    }

    public var isFloatingPoint: Bool { datatype == 16 || datatype == 64 }

    public var byteCount: Int { shape.reduce(NIfTIHeader.bytesPerVoxel(datatype), *) }

    public static func bytesPerVoxel(_ code: Int) -> Int {
        switch code {
        case 2, 256: return 1
        case 4, 512: return 2
        case 8, 16, 768: return 4
        default: return 8
        }
    }
}

extension Array where Element == UInt8 {
    /// Unaligned load of a trivial type at a byte offset.
    func load<T>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
