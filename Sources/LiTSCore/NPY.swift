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
            let n = data.count / dtype.size
            return data.withUnsafeBytes { raw -> [Float] in
                // Unaligned loads: a Data's bytes carry no alignment guarantee.
                func conv<T>(_ type: T.Type, _ f: (T) -> Float) -> [Float] {
                    (0..<n).map { f(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
                }
                switch dtype {
                case .float32: return conv(Float.self) { $0 }
                case .float64: return conv(Double.self) { Float($0) }
                case .uint8: return conv(UInt8.self) { Float($0) }
                case .int16: return conv(Int16.self) { Float($0) }
                case .uint16: return conv(UInt16.self) { Float($0) }
                case .int32: return conv(Int32.self) { Float($0) }
                }
            }
        }

        /// Throws when a float array holds NaN or infinite values (integer arrays always pass),
        /// naming the file and the first offending element as a C-order index into `shape`.
        public func requireFinite(path: String) throws {
            guard dtype == .float32 || dtype == .float64 else { return }
            let n = data.count / dtype.size
            var bad = 0, first = -1
            data.withUnsafeBytes { raw in
                for i in 0..<n {
                    let finite = dtype == .float32
                        ? raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self).isFinite
                        : raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self).isFinite
                    if !finite { bad += 1; if first < 0 { first = i } }
                }
            }
            guard bad > 0 else { return }
            var index = [Int](repeating: 0, count: shape.count), rest = first
            for a in stride(from: shape.count - 1, through: 0, by: -1) where shape[a] > 0 {
                index[a] = rest % shape[a]
                rest /= shape[a]
            }
            throw LiTSError(.invalidValues, path: path, "\(bad) NaN or infinite values (first at index [\(index.map(String.init).joined(separator: ", "))])")
        }

        public func bytes() -> [UInt8] { [UInt8](data) }
    }

    /// Reads a `.npy` file (format 1.0, 2.0 or 3.0; C order; the dtypes of `DType`), checking
    /// every header field and that the data is exactly what the shape needs.
    public static func read(path: String) throws -> Array3 {
        try RegularFile.refuseSpecial(path)  // a FIFO would block the read forever
        guard let file = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw LiTSError(exists ? .unreadable : .notFound, path: path, exists ? "cannot read the file" : "no such file or not readable")
        }
        let (dtype, shape, start) = try parseHeader([UInt8](file.prefix(65_536 + 12)), fileSize: file.count, path: path)
        let count = shape.reduce(1, *)  // overflow-checked by parseHeader
        let body = file.count - start
        guard body == count * dtype.size else {
            throw LiTSError(.corrupt, path: path, "data has \(body) bytes, shape \(shape) of \(dtype.rawValue) needs \(count * dtype.size)")
        }
        return Array3(dtype: dtype, shape: shape, data: file.subdata(in: start..<file.count))
    }

    /// The header of a `.npy` file: dtype, shape and where the data starts.
    static func parseHeader(_ bytes: [UInt8], fileSize: Int, path: String) throws -> (DType, [Int], Int) {
        func bad(_ why: String) -> LiTSError { LiTSError(.invalidHeader, path: path, "invalid .npy header: \(why)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw LiTSError(.invalidHeader, path: path, "not a .npy file (missing \\x93NUMPY magic)")
        }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw LiTSError(.unsupported, path: path, "unsupported .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are supported)")
        }
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw LiTSError(.corrupt, path: path, "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard headerLength <= 65_536 else { throw bad("header length \(headerLength) is implausible (over 64 KiB)") }
        guard start + headerLength <= min(fileSize, bytes.count) else {
            throw LiTSError(.corrupt, path: path, "truncated .npy header: it needs \(headerLength) bytes, the file has \(max(0, fileSize - start)) after the preamble")
        }
        guard let text = String(bytes: bytes[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .ascii) else {
            throw bad("the header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let dict = try PyLiteral.parseDict(text) { bad($0) }
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw bad("keys are \(dict.keys.sorted().map { $0.debugDescription }.joined(separator: ", ")), expected descr, fortran_order and shape")
        }
        guard case .string(let descr)? = dict["descr"] else { throw bad("descr is not a string") }
        guard let dtype = DType(descr: descr) else {
            throw LiTSError(.unsupported, path: path, "unsupported .npy dtype '\(descr.debugDescription.dropFirst().dropLast())' (supported: \(supportedNames))")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw bad("fortran_order is not True or False") }
        if fortran { throw LiTSError(.unsupported, path: path, "Fortran-order .npy arrays are not supported") }
        guard case .tuple(let shape)? = dict["shape"] else { throw bad("shape is not a tuple of integers") }
        var bytesNeeded = dtype.size
        for d in shape {
            guard d >= 0 else { throw bad("shape \(shape) has a negative dimension") }
            let (p, overflow) = bytesNeeded.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int(Int32.max) * 1024 else { throw bad("shape \(shape) of \(dtype.rawValue) is too large (overflow)") }
            bytesNeeded = p
        }
        return (dtype, shape, start + headerLength)
    }

    static let supportedNames = "<f4, <f8, |u1, <i2, <u2, <i4"
}

extension NPY.DType {
    /// A numpy descr: the byte-order mark of one-byte types does not matter.
    init?(descr: String) {
        if let d = NPY.DType(rawValue: descr) { self = d; return }
        if ["<u1", "=u1", ">u1", "u1"].contains(descr) { self = .uint8; return }
        return nil
    }
}

/// The Python literals of a `.npy` header: a dict of string keys whose values are strings,
/// True/False or tuples of integers, as numpy writes them (numpy reads them with `safe_eval`).
enum PyLiteral: Equatable {
    case string(String), bool(Bool), tuple([Int])

    static func parseDict(_ text: String, _ bad: (String) -> Error) throws -> [String: PyLiteral] {
        var chars = Array(text.unicodeScalars)[...]
        func skipSpace() { while let c = chars.first, c == " " || c == "\n" || c == "\t" || c == "\r" { chars.removeFirst() } }
        // What follows, for messages: at most 20 characters, control characters escaped (one line).
        func snippet() -> String {
            String(String.UnicodeScalarView(chars.prefix(20))).unicodeScalars
                .map { $0.value < 0x20 || $0.value == 0x7f ? String(format: "\\x%02x", $0.value) : String($0) }.joined()
        }
        func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard chars.first == c else { throw bad("expected '\(c)' \(chars.isEmpty ? "at the end" : "before '\(snippet())'")") }
            chars.removeFirst()
        }
        func string() throws -> String {
            skipSpace()
            guard let q = chars.first, q == "'" || q == "\"" else { throw bad("expected a quoted string") }
            chars.removeFirst()
            var out = String.UnicodeScalarView()
            while let c = chars.first, c != q {
                guard c != "\\" else { throw bad("escapes in strings are not supported") }
                out.append(c); chars.removeFirst()
            }
            guard !chars.isEmpty else { throw bad("unterminated string") }
            chars.removeFirst()
            return String(out)
        }
        func integer() throws -> Int {
            skipSpace()
            var digits = ""
            if chars.first == "-" { digits.append("-"); chars.removeFirst() }
            while let c = chars.first, ("0"..."9").contains(c), digits.count < 20 { digits.unicodeScalars.append(c); chars.removeFirst() }
            if chars.first == "L" { chars.removeFirst() }  // Python 2 longs
            guard let v = Int(digits) else { throw bad("expected an integer in the shape") }
            return v
        }
        func value() throws -> PyLiteral {
            skipSpace()
            guard let c = chars.first else { throw bad("a value is missing at the end") }
            if c == "'" || c == "\"" { return .string(try string()) }
            if c == "(" {
                chars.removeFirst()
                var items = [Int]()
                skipSpace()
                while chars.first != ")" {
                    items.append(try integer())
                    skipSpace()
                    if chars.first == "," { chars.removeFirst(); skipSpace() } else if chars.first != ")" { throw bad("expected ',' or ')' in the shape") }
                }
                chars.removeFirst()
                return .tuple(items)
            }
            for (word, v) in [("True", true), ("False", false)] where chars.starts(with: word.unicodeScalars) {
                chars.removeFirst(word.unicodeScalars.count)
                return .bool(v)
            }
            throw bad("unexpected value starting '\(snippet())'")
        }
        var dict = [String: PyLiteral]()
        try expect("{")
        skipSpace()
        while chars.first != "}" {
            let key = try string()
            try expect(":")
            guard dict[key] == nil else { throw bad("key '\(key.debugDescription.dropFirst().dropLast())' appears twice") }
            dict[key] = try value()
            skipSpace()
            if chars.first == "," { chars.removeFirst(); skipSpace() } else if chars.first != "}" { throw bad("expected ',' or '}' after the value of '\(key.debugDescription.dropFirst().dropLast())'") }
            if chars.isEmpty { throw bad("unterminated dict") }
        }
        chars.removeFirst()
        skipSpace()
        guard chars.isEmpty else { throw bad("text after the dict") }
        return dict
    }
}
