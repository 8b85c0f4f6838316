import Foundation
import LiTSCore

// The safetensors file format: bytes <-> named tensors (F32, F64, I64), written as the reference
// writer does and checked as the reference reader checks. Knows nothing of models: the state
// dicts that map a Module to these names are in StateDict.swift.

/// A checkpoint or state problem, on one line, naming the file when there is one.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public let path: String?
    public let reason: String

    public init(path: String?, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { path.map { "\($0): \(reason)" } ?? reason }
    public var errorDescription: String? { description }
}

/// One tensor as stored in a safetensors file, keeping its dtype: F32 (everything the network
/// computes), I64 (PyTorch's `num_batches_tracked`) and F64.
public struct SafetensorsTensor: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case f32([Float])
        case f64([Double])
        case i64([Int64])
    }

    public var shape: [Int]
    public var values: Values

    public init(_ tensor: Tensor) {
        shape = tensor.shape
        values = .f32(tensor.data)
    }

    public init(shape: [Int], int64 values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = .i64(values)
    }

    public init(shape: [Int], float64 values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = .f64(values)
    }

    /// The safetensors dtype name.
    public var dtype: String {
        switch values {
        case .f32: return "F32"
        case .f64: return "F64"
        case .i64: return "I64"
        }
    }

    var elementSize: Int {
        switch values {
        case .f32: return 4
        case .f64, .i64: return 8
        }
    }

    var count: Int {
        switch values {
        case .f32(let v): return v.count
        case .f64(let v): return v.count
        case .i64(let v): return v.count
        }
    }

    /// The values as a Float32 tensor (I64 and F64 are converted).
    public var tensor: Tensor {
        switch values {
        case .f32(let v): return Tensor(shape: shape, data: v)
        case .f64(let v): return Tensor(shape: shape, data: v.map { Float($0) })
        case .i64(let v): return Tensor(shape: shape, data: v.map { Float($0) })
        }
    }
}

/// The safetensors format (https://github.com/huggingface/safetensors):
///
///     8 bytes   N, the header length, unsigned little-endian
///     N bytes   JSON: {"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}}
///               padded with spaces to a multiple of 8 (as the reference writer does)
///     rest      the tensors' raw little-endian bytes; offsets are relative to the start of this part
///
/// Written as the reference writer does: 8-byte dtypes first, then by name, packed without gaps;
/// `__metadata__` is left out when empty. Reading checks what the reference reader checks: the
/// header fits in the file, is a JSON object, each tensor's byte count matches dtype and shape,
/// and the tensors tile the data part exactly.
public enum Safetensors {
    /// Header lengths above this are refused as corrupt (the reference reader's limit).
    static let maxHeaderBytes = 100_000_000

    // MARK: write

    /// Writes Float32 tensors atomically and durably (`AtomicFile`: temporary file in the same
    /// folder, fsync, rename); returns the file's SHA-256 (hex).
    @discardableResult
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws -> String {
        try write(entries: tensors.mapValues { SafetensorsTensor($0) }, metadata: metadata, to: path)
    }

    /// Writes tensors of any supported dtype atomically and durably; returns the file's SHA-256.
    @discardableResult
    public static func write(entries: [String: SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws -> String {
        let data = try encode(entries: entries, metadata: metadata)
        try writeAtomically(data, to: path)
        return SHA256.hex(data)
    }

    /// The bytes of a safetensors file.
    public static func encode(entries: [String: SafetensorsTensor], metadata: [String: String] = [:]) throws -> Data {
        if entries["__metadata__"] != nil { throw CheckpointError(path: nil, "a tensor cannot be named __metadata__") }
        let names = entries.keys.sorted { a, b in
            let ea = entries[a]!.elementSize, eb = entries[b]!.elementSize
            return ea != eb ? ea > eb : a < b
        }
        var fields = [String]()
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let e = entries[name]!
            let bytes = e.count * e.elementSize
            let shape = e.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(e.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            switch entries[name]!.values {
            case .f32(let v): appendLittleEndian(v.map { $0.bitPattern }, to: &out)
            case .f64(let v): appendLittleEndian(v.map { $0.bitPattern }, to: &out)
            case .i64(let v): appendLittleEndian(v.map { UInt64(bitPattern: $0) }, to: &out)
            }
        }
        return out
    }

    // MARK: read

    /// What a file whose bytes do not have their recorded SHA-256 is refused with.
    public static let checksumMismatch = "checksum mismatch: the file was changed or damaged after it was written"

    /// Reads a file and converts every tensor to Float32; with `sha256`, the file's bytes must
    /// have that SHA-256 (hex) or it is refused with `checksumMismatch`.
    public static func read(_ path: String, sha256: String? = nil) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let (entries, metadata) = try readEntries(path, sha256: sha256)
        return (entries.mapValues(\.tensor), metadata)
    }

    /// Reads a file keeping each tensor's dtype; `sha256` as in `read`.
    public static func readEntries(_ path: String, sha256: String? = nil) throws -> (entries: [String: SafetensorsTensor], metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw CheckpointError(path: path, why)
        }
        if let sha256 { try verify(data, sha256: sha256, path: path) }
        return try decode(data, path: path)
    }

    /// Throws `checksumMismatch` naming `path` unless `data` has SHA-256 `sha256` (hex, any case).
    public static func verify(_ data: Data, sha256: String, path: String) throws {
        guard SHA256.hex(data) == sha256.lowercased() else { throw CheckpointError(path: path, checksumMismatch) }
    }

    /// Parses the bytes of a safetensors file; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> (entries: [String: SafetensorsTensor], metadata: [String: String]) {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, "not a valid safetensors file: \(reason)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("truncated, \(bytes.count) bytes is shorter than the 8-byte header length") }
        var n64: UInt64 = 0
        for i in 0..<8 { n64 |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n64 <= UInt64(maxHeaderBytes) else { throw fail("header length \(n64) is implausible (over \(maxHeaderBytes) bytes)") }
        let n = Int(n64)
        guard 8 + n <= bytes.count else { throw fail("truncated, the header needs \(n) bytes but only \(bytes.count - 8) follow the length") }
        let headerBytes = bytes[8..<(8 + n)]
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("bad header JSON (it does not start with '{')") }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw fail("bad header JSON (\(String(describing: error).prefix(120)))")
        }
        guard let header = json as? [String: Any] else { throw fail("bad header JSON (not an object)") }

        var metadata = [String: String]()
        if let m = header["__metadata__"] {
            guard let dict = m as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (k, v) in dict {
                guard let s = v as? String else { throw fail("__metadata__ value for \(k) is not a string") }
                metadata[k] = s
            }
        }

        let dataStart = 8 + n, dataLength = bytes.count - dataStart
        var ranges = [(begin: Int, end: Int, name: String)]()
        var parsed = [String: (dtype: String, shape: [Int], begin: Int, end: Int)]()
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw fail("entry \(name) is not an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor \(name) has no dtype") }
            guard let shapeAny = info["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \(name) has no valid shape")
            }
            guard let offAny = info["data_offsets"] as? [Any], let off = intArray(offAny), off.count == 2 else {
                throw fail("tensor \(name) has no valid data_offsets")
            }
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "F64", "I64": size = 8
            default: throw fail("tensor \(name) has dtype \(dtype); only F32, F64 and I64 are supported")
            }
            guard off[0] >= 0, off[0] <= off[1], off[1] <= dataLength else {
                throw fail("tensor \(name) data_offsets [\(off[0]), \(off[1])] are out of range (data part is \(dataLength) bytes; truncated?)")
            }
            let count = shape.reduce(1, *)
            guard off[1] - off[0] == count * size else {
                throw fail("tensor \(name) has \(off[1] - off[0]) bytes but \(dtype) \(shape) needs \(count * size)")
            }
            parsed[name] = (dtype, shape, off[0], off[1])
            ranges.append((off[0], off[1], name))
        }
        // The tensors must tile the data part exactly (no gaps, overlaps or trailing bytes).
        ranges.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        var expected = 0
        for r in ranges {
            guard r.begin == expected else { throw fail("tensor \(r.name) starts at byte \(r.begin), expected \(expected) (gap or overlap)") }
            expected = r.end
        }
        guard expected == dataLength else { throw fail("the tensors cover \(expected) bytes but the data part has \(dataLength)") }

        var entries = [String: SafetensorsTensor]()
        for (name, p) in parsed {
            let base = dataStart + p.begin
            let count = p.shape.reduce(1, *)
            switch p.dtype {
            case "F32":
                entries[name] = SafetensorsTensor(Tensor(shape: p.shape, data: (0..<count).map { Float(bitPattern: le32(bytes, base + 4 * $0)) }))
            case "F64":
                entries[name] = SafetensorsTensor(shape: p.shape, float64: (0..<count).map { Double(bitPattern: le64(bytes, base + 8 * $0)) })
            default:
                entries[name] = SafetensorsTensor(shape: p.shape, int64: (0..<count).map { Int64(bitPattern: le64(bytes, base + 8 * $0)) })
            }
        }
        return (entries, metadata)
    }

    // MARK: helpers

    /// `AtomicFile.write`, with its errors as `CheckpointError`s naming the file.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try AtomicFile.write(data, to: path)
        } catch let e as LiTSError {
            throw CheckpointError(path: e.path ?? path, e.reason)
        }
    }

    static func intArray(_ a: [Any]) -> [Int]? {
        var out = [Int]()
        for v in a {
            if let i = v as? Int { out.append(i) } else if let d = v as? Double, d == d.rounded(), abs(d) < 9e15 { out.append(Int(d)) } else { return nil }
        }
        return out
    }

    static func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func le64(_ b: [UInt8], _ at: Int) -> UInt64 {
        UInt64(le32(b, at)) | UInt64(le32(b, at + 4)) << 32
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ values: [T], to out: inout Data) {
        let le = values.map { $0.littleEndian }
        le.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
