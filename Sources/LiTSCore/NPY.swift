import Foundation

/// NumPy `.npy` format 1.0, little-endian, so outputs load with `numpy.load`.
/// Arrays are written in C order with shape (nz, ny, nx), which is exactly NIfTI's voxel order
/// (i fastest), so `np.load(f)[k, j, i]` is voxel (i, j, k).
public enum NPY {
    public enum DType: String, Sendable {
        case float32 = "<f4", uint8 = "|u1", int16 = "<i2", float64 = "<f8", uint16 = "<u2", int32 = "<i4"
        var size: Int {
            switch self {
            case .uint8: return 1
            case .int16, .uint16: return 2
            case .float32, .int32: return 4
            case .float64: return 8
            }
        }
    }

    static func header(dtype: DType, shape: [Int], fortranOrder: Bool = false) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(dtype.rawValue)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        // Pad with spaces so magic(6) + version(2) + length(2) + dict + "\n" is a multiple of 64.
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(dict.utf8.count)
        out.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        out.append(contentsOf: Array(dict.utf8))
        return out
    }

    /// Writes a volume as a C-order array of shape (nz, ny, nx).
    public static func write(_ volume: Volume<Float>, to path: String) throws {
        try write(voxels: volume.voxels, dtype: .float32, shape: volume.shape.reversed(), to: path)
    }

    public static func write(_ volume: Volume<UInt8>, to path: String) throws {
        try write(voxels: volume.voxels, dtype: .uint8, shape: volume.shape.reversed(), to: path)
    }

    public static func write<T>(voxels: [T], dtype: DType, shape: [Int], to path: String) throws {
        precondition(MemoryLayout<T>.size == dtype.size, "element size does not match dtype")
        var data = header(dtype: dtype, shape: shape)
        voxels.withUnsafeBytes { data.append(contentsOf: $0) }  // little-endian host
        try AtomicFile.write(data, to: path)
    }

    /// A loaded array: raw little-endian bytes, dtype and shape as the header says (C order).
    public struct Array3 {
        public var dtype: DType
        public var shape: [Int]
        public var data: Data

        public func floats() -> [Float] {
            data.withUnsafeBytes { raw -> [Float] in
                let n = data.count / dtype.size
                switch dtype {
                case .float32: return Swift.Array(raw.bindMemory(to: Float.self).prefix(n))
                case .float64: return raw.bindMemory(to: Double.self).prefix(n).map { Float($0) }
                case .uint8: return raw.bindMemory(to: UInt8.self).prefix(n).map { Float($0) }
                case .int16: return raw.bindMemory(to: Int16.self).prefix(n).map { Float($0) }
                case .uint16: return raw.bindMemory(to: UInt16.self).prefix(n).map { Float($0) }
                case .int32: return raw.bindMemory(to: Int32.self).prefix(n).map { Float($0) }
                }
            }
        }

        public func bytes() -> [UInt8] { [UInt8](data) }
    }

    public static func read(path: String) throws -> Array3 {
        guard let file = FileManager.default.contents(atPath: path) else {
            throw LiTSError(.notFound, path: path, "no such file or not readable")
        }
        let bytes = [UInt8](file.prefix(10))
        guard bytes.count == 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw LiTSError(.invalidHeader, path: path, "not a .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            let b = [UInt8](file.prefix(12))
            guard b.count == 12 else { throw LiTSError(.corrupt, path: path, "truncated .npy header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        }
        guard file.count >= start + headerLength,
              let dict = String(data: file.subdata(in: start..<(start + headerLength)), encoding: .ascii) else {
            throw LiTSError(.corrupt, path: path, "truncated .npy header")
        }
        guard let descr = field(dict, "descr"), let dtype = DType(rawValue: descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))) else {
            throw LiTSError(.unsupported, path: path, "unsupported .npy dtype in header \(dict.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if dict.contains("'fortran_order': True") {
            throw LiTSError(.unsupported, path: path, "Fortran-order .npy arrays are not supported")
        }
        guard let open = dict.range(of: "'shape': ("), let close = dict[open.upperBound...].firstIndex(of: ")") else {
            throw LiTSError(.invalidHeader, path: path, "no shape in .npy header")
        }
        let shape = dict[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = file.subdata(in: (start + headerLength)..<file.count)
        guard body.count == count * dtype.size else {
            throw LiTSError(.corrupt, path: path, "data has \(body.count) bytes, shape \(shape) of \(dtype.rawValue) needs \(count * dtype.size)")
        }
        return Array3(dtype: dtype, shape: shape, data: body)
    }

    private static func field(_ dict: String, _ key: String) -> String? {
        guard let r = dict.range(of: "'\(key)': ") else { return nil }
        let rest = dict[r.upperBound...]
        guard let end = rest.firstIndex(of: ",") else { return nil }
        return String(rest[..<end])
    }
}
