import Foundation

/// MRC import, for the sample case shipped on PyPI (img_117.mrc, lab_117.mrc): a 1024-byte header
/// with little-endian int32 nx, ny, nz at bytes 0..11 and mode at 12..15 (2 = float32, 6 = uint16),
/// an extended header of nsymbt bytes (int32 at byte 92), then raw voxels with x fastest.
public enum MRC {
    public static func read(path: String) throws -> (shape: [Int], voxels: [Float]) {
        try RegularFile.refuseSpecial(path)  // a FIFO would block the read forever
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LiTSError(.notFound, path: path, "no such file or not readable")
        }
        guard data.count >= 1024 else {
            throw LiTSError(.corrupt, path: path, "truncated MRC header (\(data.count) bytes of 1024)")
        }
        let head = [UInt8](data.prefix(1024))
        func i32(_ o: Int) -> Int { Int(Int32(littleEndian: head.load(Int32.self, at: o))) }
        let shape = [i32(0), i32(4), i32(8)]
        let mode = i32(12)
        let extended = i32(92)
        guard shape.allSatisfy({ $0 > 0 && $0 < 100_000 }) else {
            throw LiTSError(.invalidHeader, path: path, "invalid MRC dimensions \(shape)")
        }
        guard extended >= 0 else { throw LiTSError(.invalidHeader, path: path, "negative extended header size \(extended)") }
        // Voxels are read with x fastest (mapc, mapr, maps = 1, 2, 3; 0, 0, 0 from writers that leave
        // them unset) and little-endian: anything else would be read silently in the wrong order.
        let axes = [i32(64), i32(68), i32(72)]
        guard axes == [1, 2, 3] || axes == [0, 0, 0] else {
            throw LiTSError(.unsupported, path: path, "MRC axis order mapc, mapr, maps = \(axes.map(String.init).joined(separator: ", ")) is not supported (only 1, 2, 3)")
        }
        if head[212] == 0x11 && head[213] == 0x11 {
            throw LiTSError(.unsupported, path: path, "big-endian MRC files (machine stamp 0x11 0x11) are not supported")
        }
        let size: Int
        switch mode {
        case 0: size = 1
        case 1, 6: size = 2
        case 2: size = 4
        default: throw LiTSError(.unsupported, path: path, "unsupported MRC mode \(mode) (supported: 0 int8, 1 int16, 2 float32, 6 uint16)")
        }
        let count = shape.reduce(1, *)
        let start = 1024 + extended
        guard data.count >= start + count * size else {
            throw LiTSError(.corrupt, path: path, "file is truncated: \(data.count) bytes, \(shape) voxels of mode \(mode) need \(start + count * size)")
        }
        if data.count > start + count * size {
            LiTSWarnings.emit("\(path): holds \(data.count - start - count * size) extra bytes after the \(shape.map(String.init).joined(separator: "x")) voxels of mode \(mode) its header describes (a sign of a broken writer); they are ignored")
        }
        let voxels: [Float] = data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: start)
            switch mode {
            case 0: return (0..<count).map { Float(base.load(fromByteOffset: $0, as: Int8.self)) }
            case 1: return (0..<count).map { Float(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
            case 6: return (0..<count).map { Float(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            default: return (0..<count).map { Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
        return (shape, voxels)
    }
}

extension MRC {
    /// How the MRC axes map to NIfTI's (i, j, k).
    public enum AxisOrder: String, Sendable, CaseIterable {
        /// The file was written by mrcfile from a NIfTI-ordered numpy array (as the PyPI sample was):
        /// MRC's fastest axis x is NIfTI's k, so (i, j, k) = (z, y, x).
        case zyx
        /// MRC's own convention taken literally: (i, j, k) = (x, y, z).
        case xyz
    }

    /// Reads a file and returns its voxels in NIfTI order.
    public static func readNIfTIOrder(path: String, order: AxisOrder) throws -> (shape: [Int], voxels: [Float]) {
        let (shape, voxels) = try read(path: path)
        return toNIfTIOrder(shape: shape, voxels: voxels, order: order)
    }

    /// Voxels reordered into NIfTI order (i fastest) and the NIfTI shape.
    public static func toNIfTIOrder(shape: [Int], voxels: [Float], order: AxisOrder) -> (shape: [Int], voxels: [Float]) {
        guard order == .zyx else { return (shape, voxels) }
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var out = [Float](repeating: 0, count: voxels.count)
        // NIfTI (i, j, k) = MRC (x: k, y: j, z: i); NIfTI shape (nz, ny, nx).
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    out[z + nz * (y + ny * x)] = voxels[x + nx * (y + ny * z)]
                }
            }
        }
        return ([nz, ny, nx], out)
    }
}
