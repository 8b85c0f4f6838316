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
    /// Problems that did not stop the read, one line each ("PATH: problem"): data beyond the
    /// voxels, an invalid sform or qform that was replaced. Each was also sent to `LiTSWarnings.emit`.
    public var warnings: [String] = []
    public var datatypeName: String { NIfTIHeader.datatypeName(header.datatype) ?? "code \(header.datatype)" }
}

extension NIfTISource {
    mutating func warn(_ line: String) {
        warnings.append(line)
        LiTSWarnings.emit(line)
    }
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
        var source = try readSource(path: path)
        let (voxels, extra) = try readVoxels(path: path, header: source.header)
        if extra > 0 { source.warn(extraBytesWarning(path: path, header: source.header, extra: extra)) }
        return (Volume(grid: source.grid, voxels: voxels), source)
    }

    static func extraBytesWarning(path: String, header: NIfTIHeader, extra: Int) -> String {
        let shape = header.shape.map(String.init).joined(separator: "x")
        return "\(path): holds \(extra) extra bytes after the \(shape) \(NIfTIHeader.datatypeName(header.datatype) ?? "") voxels its header describes (a sign of a broken writer); they are ignored"
    }

    /// A label map: values must be whole numbers in `allowed` (LiTS: 0, 1, 2). `source`: the
    /// file's header already read (its warnings already given), so they are not given twice.
    public static func readLabels(path: String, allowed: Set<UInt8> = [0, 1, 2], source known: NIfTISource? = nil) throws -> (LabelMap, NIfTISource) {
        var source = try known ?? readSource(path: path)
        if let (bytes, extra) = try readLabelBytes(path: path, header: source.header, allowed: allowed) {
            if extra > 0 { source.warn(extraBytesWarning(path: path, header: source.header, extra: extra)) }
            return (Volume(grid: source.grid, voxels: bytes), source)
        }
        let (values, extra) = try readVoxels(path: path, header: source.header)
        if extra > 0 { source.warn(extraBytesWarning(path: path, header: source.header, extra: extra)) }
        return (try CaseLoader.toLabels(Volume(grid: source.grid, voxels: values), path: path, allowed: allowed), source)
    }

    /// Streams the voxels through a small buffer straight into Float32, so the raw file data is
    /// never held whole in memory (a 512x512x450 int16 volume would otherwise cost 236 MB more).
    /// Also returns how many bytes a gzip stream holds after the voxels (0 for plain files, whose
    /// extra bytes `readSource` reports).
    static func readVoxels(path: String, header: NIfTIHeader, whole: Bool = true) throws -> ([Float], Int) {
        let count = header.shape.reduce(1, *)
        var extra = 0
        let voxels = try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let dst = out.baseAddress!
            HugePages.advise(UnsafeMutableRawPointer(dst), bytes: count * 4)
            do {
                // int8/16 files inflate into the buffer's tail and widen in place (no copy of the file).
                let inPlace = NIfTIHeader.bytesPerVoxel(header.datatype) < 4
                extra = try readChunks(path: path, header: header, landing: inPlace ? UnsafeMutableRawPointer(dst) : nil,
                                       landingBytes: count * 4, whole: whole) { raw, first, n in
                    convert(raw, datatype: header.datatype, count: n, into: dst + first, scaling: header.scaling)
                }
            } catch {
                dst.update(repeating: 0, count: count)  // Float is trivial: leave it fully initialised
                initialized = count
                throw error
            }
            initialized = count
        }
        return (voxels, extra)
    }

    /// Reads the file in chunks of about a million voxels (host byte order) and hands each to
    /// `body` with the index of its first voxel. Uncompressed files are read by two workers with
    /// `pread`; gzip streams can only be read in order, through libnifti's znz layer.
    /// Returns the number of bytes a gzip stream holds after the voxels (0 for plain files).
    ///
    /// Gzip files are first inflated whole by libdeflate (`GzipWhole`), into the end of `landing`
    /// (`landingBytes` long) when it has room, else into a temporary buffer; with a landing
    /// buffer `body` is called in order, chunk by chunk, so it may overwrite the bytes before
    /// the chunk it is given (widening int16 to float in place). Anything but a clean stream of
    /// the right size goes through zlib's streaming path below, for its exact error messages.
    @discardableResult
    static func readChunks(path: String, header: NIfTIHeader,
                           landing: UnsafeMutableRawPointer? = nil, landingBytes: Int = 0, whole: Bool = true,
                           _ body: @escaping (UnsafeMutableRawPointer, Int, Int) -> Void) throws -> Int {
        let count = header.shape.reduce(1, *)
        let width = NIfTIHeader.bytesPerVoxel(header.datatype)
        let offset = header.dataOffset
        let chunkVoxels = 1 << 20
        let chunks = (count + chunkVoxels - 1) / chunkVoxels
        func truncated(_ got: Int) -> LiTSError {
            LiTSError(.corrupt, path: path, path.hasSuffix(".gz")
                ? "truncated or corrupt gzip stream: \(got) of \(count * width) bytes of voxel data"
                : "file is truncated: \(got) of \(count * width) bytes of voxel data")
        }
        if path.hasSuffix(".gz"), whole,
           inflateWhole(path: path, header: header, landing: landing, landingBytes: landingBytes, body) {
            return 0
        }
        if path.hasSuffix(".gz") {
            guard let fp = znzopen(path, "rb", 1) else { throw LiTSError(.unreadable, path: path, "cannot open file") }
            var f: znzFile? = fp
            defer { Xznzclose(&f) }
            // znzseek returns fseek's 0 for plain files but gzseek's position for gzip: ask znztell.
            _ = znzseek(fp, off_t(offset), SEEK_SET)
            guard znztell(fp) == off_t(offset) else {
                throw LiTSError(.corrupt, path: path, "cannot reach the voxel data at byte \(offset)")
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkVoxels * width, alignment: 16)
            defer { buffer.deallocate() }
            for chunk in 0..<chunks {
                let first = chunk * chunkVoxels, n = min(chunkVoxels, count - first)
                let got = znzread(buffer, 1, n * width, fp)
                guard got == n * width else { throw truncated(first * width + got) }
                if header.bigEndian { swapBytes(buffer, count: n, width: width) }
                body(buffer, first, n)
            }
            // What follows the voxels: a sign of a broken writer (reported, not refused).
            var extra = 0
            while true {
                let got = znzread(buffer, 1, chunkVoxels * width, fp)
                if got <= 0 { break }
                extra += got
            }
            return extra
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LiTSError(.unreadable, path: path, "cannot open file") }
        defer { close(fd) }
        let workers = min(2, max(1, chunks))
        let failed = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        failed.initialize(repeating: -1, count: workers)
        defer { failed.deallocate() }
        Parallel.perform(iterations: workers) { w in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkVoxels * width, alignment: 16)
            defer { buffer.deallocate() }
            var chunk = w
            while chunk < chunks {  // interleaved chunks keep both workers on nearby pages
                let first = chunk * chunkVoxels, n = min(chunkVoxels, count - first)
                var got = 0
                while got < n * width {
                    let r = pread(fd, buffer + got, n * width - got, off_t(offset + first * width + got))
                    if r <= 0 { break }
                    got += r
                }
                if got < n * width { failed[w] = first * width + got; return }
                if header.bigEndian { swapBytes(buffer, count: n, width: width) }
                body(buffer, first, n)
                chunk += workers
            }
        }
        if let got = (0..<workers).map({ failed[$0] }).filter({ $0 >= 0 }).min() { throw truncated(got) }
        return 0
    }

    /// `readChunks`'s libdeflate path: false (nothing handed to `body`) where it does not apply.
    static func inflateWhole(path: String, header: NIfTIHeader, landing: UnsafeMutableRawPointer?, landingBytes: Int,
                             _ body: @escaping (UnsafeMutableRawPointer, Int, Int) -> Void) -> Bool {
        let count = header.shape.reduce(1, *)
        let width = NIfTIHeader.bytesPerVoxel(header.datatype)
        let total = header.dataOffset + count * width
        let inPlace = landing != nil && landingBytes >= total
        let out = inPlace ? landing! + (landingBytes - total)
                          : UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 64)
        defer { if !inPlace { out.deallocate() } }
        guard GzipWhole.inflate(path: path, into: out, count: total) else { return false }
        let data = out + header.dataOffset
        let chunkVoxels = 1 << 20
        let chunks = (count + chunkVoxels - 1) / chunkVoxels
        func chunk(_ c: Int) {
            let first = c * chunkVoxels, n = min(chunkVoxels, count - first)
            let raw = data + first * width
            if header.bigEndian { swapBytes(raw, count: n, width: width) }
            body(raw, first, n)
        }
        if inPlace {
            for c in 0..<chunks { chunk(c) }
        } else {
            Parallel.perform(iterations: chunks) { chunk($0) }
        }
        return true
    }

    /// Labels straight from integer files (no Float copy of the volume), refusing values outside
    /// `allowed`. Returns nil for floating-point or scaled files, which take the Float path.
    static func readLabelBytes(path: String, header: NIfTIHeader, allowed: Set<UInt8>) throws -> ([UInt8], Int)? {
        guard !header.isFloatingPoint, header.scaling == nil, [2, 4, 8, 256, 512, 768].contains(header.datatype) else { return nil }
        let count = header.shape.reduce(1, *)
        var table = [Bool](repeating: false, count: 256)
        for a in allowed { table[Int(a)] = true }
        let ok = table
        var extra = 0
        let badCounts = UnsafeMutablePointer<Int>.allocate(capacity: count / (1 << 20) + 1)
        badCounts.initialize(repeating: 0, count: count / (1 << 20) + 1)
        defer { badCounts.deallocate() }
        let labels = try [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            let dst = out.baseAddress!
            HugePages.advise(UnsafeMutableRawPointer(dst), bytes: count)
            dst.initialize(repeating: 0, count: count)
            initialized = count
            extra = try readChunks(path: path, header: header) { raw, first, n in
                var bad = 0
                func take<S: BinaryInteger>(_ type: S.Type) {
                    let src = raw.assumingMemoryBound(to: S.self)
                    for i in 0..<n {
                        let v = src[i]
                        if v >= 0 && v < 256 && ok[Int(v)] { dst[first + i] = UInt8(v) } else { bad += 1 }
                    }
                }
                switch header.datatype {
                case 2: take(UInt8.self)
                case 4: take(Int16.self)
                case 8: take(Int32.self)
                case 256: take(Int8.self)
                case 512: take(UInt16.self)
                default: take(UInt32.self)
                }
                badCounts[first >> 20] = bad
            }
        }
        if (0...(count >> 20)).contains(where: { badCounts[$0] > 0 }) { return nil }  // the Float path names the bad values
        return (labels, extra)
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
        let (affine, affineWarning) = bestAffine(nim.pointee, header: header, path: path)
        let grid = Grid(shape: header.shape, spacing: header.spacing, affine: affine)
        var source = NIfTISource(path: path, header: header, grid: grid,
                                 sformCode: Int(nim.pointee.sform_code), qformCode: Int(nim.pointee.qform_code))
        if let bitpixWarning = header.bitpixWarning(path: path) { source.warn(bitpixWarning) }
        if let affineWarning { source.warn(affineWarning) }
        let extra = header.extraBytes(path: path)
        if extra > 0 { source.warn(extraBytesWarning(path: path, header: header, extra: extra)) }
        return source
    }

    /// nibabel's `get_best_affine` (sform if sform_code > 0, else qform if qform_code > 0, else
    /// the pixdim-based base affine), except that a transform that is not finite or is singular
    /// is never used: the next one in that order replaces it, with a warning saying so.
    static func bestAffine(_ image: nifti_image, header: NIfTIHeader, path: String) -> (Affine, String?) {
        var problems = [String]()
        if image.sform_code > 0 {
            let a = affine(from: image.sto_xyz)
            // The stored rows too: libnifti may have tidied them.
            let problem = header.srow.allSatisfy({ $0.isFinite }) ? invalidity(of: a) : "not finite"
            guard let problem else { return (a, nil) }
            problems.append("sform (sform_code \(image.sform_code)) is \(problem)")
        }
        if image.qform_code > 0 {
            // The stored quaternion and offset: libnifti replaces NaN and inf in them with 0.
            let fields = header.quatern + [image.quatern_b, image.quatern_c, image.quatern_d, image.qoffset_x, image.qoffset_y, image.qoffset_z]
            let a = affine(from: image.qto_xyz)
            if !fields.allSatisfy({ $0.isFinite }) {
                let names = ["quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z"]
                let bad = zip(names, header.quatern).filter { !$0.1.isFinite }.map { "\($0.0)=\($0.1)" }
                problems.append("qform (qform_code \(image.qform_code)) has \(bad.isEmpty ? "a non-finite quaternion" : bad.joined(separator: ", "))")
            } else if let problem = invalidity(of: a) {
                problems.append("qform (qform_code \(image.qform_code)) is \(problem)")
            } else {
                return (a, problems.isEmpty ? nil : "\(path): \(problems.joined(separator: "; ")); using the qform instead")
            }
        }
        // nibabel's base affine: x flipped, origin at the array centre.
        let z = header.spacing
        let s = header.shape
        let base = Affine(rowMajor: [-z[0], 0, 0, Double(s[0] - 1) / 2 * z[0],
                                     0, z[1], 0, -Double(s[1] - 1) / 2 * z[1],
                                     0, 0, z[2], -Double(s[2] - 1) / 2 * z[2],
                                     0, 0, 0, 1])
        if problems.isEmpty { return (base, nil) }
        return (base, "\(path): \(problems.joined(separator: "; ")); using the pixdim-based affine instead")
    }

    /// Why an affine cannot place voxels in the world ("not finite", "singular"), or nil when it can.
    static func invalidity(of a: Affine) -> String? {
        guard a.m.allSatisfy({ $0.isFinite }) else { return "not finite" }
        let n = a.columnNorms
        let m = (0..<3).map { r in (0..<3).map { a[r, $0] } }
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        // Relative to the column lengths: |det| / (n0 n1 n2) is 1 for orthogonal axes, 0 for collinear.
        guard n.allSatisfy({ $0 > 0 }), det.isFinite, abs(det) > 1e-6 * n[0] * n[1] * n[2] else { return "singular" }
        // Sizes no scan has, whose sums (reorientation, resampling) could overflow to inf.
        guard n.allSatisfy({ $0 <= NIfTIHeader.maxSpacing }) else { return "of voxel size above \(Int(NIfTIHeader.maxSpacing)) mm" }
        guard (0..<3).allSatisfy({ abs(a[$0, 3]) <= 1e9 }) else { return "placed more than 1000 km from the origin" }
        return nil
    }

    static func affine(from m: nifti_dmat44) -> Affine {
        var copy = m
        return withUnsafeBytes(of: &copy.m) { raw in
            Affine(rowMajor: Array(raw.bindMemory(to: Double.self).prefix(16)))
        }
    }

    /// Converts raw voxels to Float32, applying the scaling in float64 as nibabel does.
    static func convert(_ data: UnsafeMutableRawPointer, datatype: Int, count: Int,
                        into dst: UnsafeMutablePointer<Float>, scaling: (slope: Double, inter: Double)?) {
        func copy<S>(_ type: S.Type, _ f: (S) -> Double) {
            let src = data.assumingMemoryBound(to: S.self)
            if let (slope, inter) = scaling {
                for i in 0..<count { dst[i] = Float(f(src[i]) * slope + inter) }
            }
        }
        func plain<S>(_ type: S.Type, _ f: (S) -> Float) {
            let src = data.assumingMemoryBound(to: S.self)
            for i in 0..<count { dst[i] = f(src[i]) }
        }
        if scaling != nil {
            switch datatype {
            case 2: copy(UInt8.self) { Double($0) }
            case 4: copy(Int16.self) { Double($0) }
            case 8: copy(Int32.self) { Double($0) }
            case 16: copy(Float.self) { Double($0) }
            case 64: copy(Double.self) { $0 }
            case 256: copy(Int8.self) { Double($0) }
            case 512: copy(UInt16.self) { Double($0) }
            case 768: copy(UInt32.self) { Double($0) }
            case 1024: copy(Int64.self) { Double($0) }
            default: copy(UInt64.self) { Double($0) }
            }
            return
        }
        switch datatype {
        case 2: plain(UInt8.self) { Float($0) }
        case 4: plain(Int16.self) { Float($0) }
        case 8: plain(Int32.self) { Float($0) }
        case 16: plain(Float.self) { $0 }
        case 64: plain(Double.self) { Float($0) }
        case 256: plain(Int8.self) { Float($0) }
        case 512: plain(UInt16.self) { Float($0) }
        case 768: plain(UInt32.self) { Float($0) }
        case 1024: plain(Int64.self) { Float($0) }
        default: plain(UInt64.self) { Float($0) }
        }
    }
}
